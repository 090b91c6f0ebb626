#!/usr/bin/env node
// Texture style images for training the arbitrary-style decoder, from Debian's gimp-data (GPL-3+) and krita-data
// (GPL/LGPL) patterns: node scripts/extract-gimp-patterns.js OUT_DIR   (apt-get install gimp-data krita-data first)
// Writes OUT_DIR/gimp/*.png and OUT_DIR/krita/*.png, keeping only patterns at least 96 px on each side and with colour
// (mean max−min channel spread ≥ 12 levels): tiny tiles upscale to blur and grey papers teach no palette.
// GIMP's .pat format (devel-docs/pat.txt): big-endian u32 header size, version (1), width, height, bytes per pixel
// (1–4), magic 'GPAT', a NUL-terminated name up to the header size, then width × height × bpp pixel bytes.
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const SOURCES = { gimp: '/usr/share/gimp/2.0/patterns', krita: '/usr/share/krita/patterns' };
const MIN_SIDE = 96;
const MIN_CHROMA = 12;

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** A .pat file as a sharp pipeline, or undefined when it is not a GIMP pattern v1. */
function readPat(file) {
  const buf = fs.readFileSync(file);
  const [headerSize, version, width, height, bpp] = [0, 4, 8, 12, 16].map((o) => buf.readUInt32BE(o));
  if (buf.toString('latin1', 20, 24) !== 'GPAT' || version !== 1 || bpp < 1 || bpp > 4) return undefined;
  return sharp(buf.subarray(headerSize, headerSize + width * height * bpp), { raw: { width, height, channels: bpp } });
}

async function keep(image) {
  const { width, height } = await image.clone().metadata();
  if (width < MIN_SIDE || height < MIN_SIDE) return false;
  const { data, info } = await image.clone().toColourspace('srgb').removeAlpha().resize(64, 64).raw().toBuffer({ resolveWithObject: true });
  let spread = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const px = [data[i], data[i + 1] ?? data[i], data[i + 2] ?? data[i]];
    spread += Math.max(...px) - Math.min(...px);
  }
  return spread / (64 * 64) >= MIN_CHROMA;
}

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: extract-gimp-patterns.js OUT_DIR');
  let written = 0;
  for (const [name, src] of Object.entries(SOURCES)) {
    if (!fs.existsSync(src)) {
      process.stderr.write(`${src} is missing: apt-get install ${name}-data\n`);
      continue;
    }
    fs.mkdirSync(path.join(out, name), { recursive: true });
    for (const file of walk(src).sort()) {
      const isPat = file.endsWith('.pat');
      const image = isPat ? readPat(file) : file.endsWith('.png') ? sharp(file) : undefined;
      if (!image || !(await keep(image))) continue;
      const base = isPat ? `${path.basename(path.dirname(file))}-${path.basename(file, '.pat')}`.toLowerCase().replace(/[^a-z0-9_-]+/g, '_') : path.basename(file, '.png');
      await image.toColourspace('srgb').removeAlpha().png().toFile(path.join(out, name, `${base}.png`));
      written++;
    }
  }
  process.stdout.write(`${written} textures written to ${out}\n`);
}
main().catch((e) => {
  process.stderr.write(`extract-gimp-patterns: ${e.message}\n`);
  process.exit(1);
});
