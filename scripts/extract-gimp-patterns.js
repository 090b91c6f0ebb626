#!/usr/bin/env node
// Converts GIMP's .pat texture patterns (Debian package gimp-data, GPL-3+) into PNGs, as style images for training the
// arbitrary-style decoder: node scripts/extract-gimp-patterns.js [SRC=/usr/share/gimp/2.0/patterns] OUT_DIR
// Format (GIMP's devel-docs/pat.txt): big-endian u32 header size, version (1), width, height, bytes per pixel (1–4),
// magic 'GPAT', then a NUL-terminated UTF-8 name up to the header size, then width × height × bpp pixel bytes.
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

async function main() {
  const args = process.argv.slice(2);
  const out = args.pop();
  const src = args[0] ?? '/usr/share/gimp/2.0/patterns';
  if (!out) throw new Error('usage: extract-gimp-patterns.js [SRC] OUT_DIR');
  fs.mkdirSync(out, { recursive: true });
  const files = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.pat') && files.push(path.join(d, e.name))));
  walk(src);
  let written = 0;
  for (const file of files.sort()) {
    const buf = fs.readFileSync(file);
    const [headerSize, version, width, height, bpp] = [0, 4, 8, 12, 16].map((o) => buf.readUInt32BE(o));
    if (buf.toString('latin1', 20, 24) !== 'GPAT' || version !== 1 || bpp < 1 || bpp > 4) {
      process.stderr.write(`skipping ${file}: not a GIMP pattern v1\n`);
      continue;
    }
    const pixels = buf.subarray(headerSize, headerSize + width * height * bpp);
    const name = `${path.basename(path.dirname(file))}-${path.basename(file, '.pat')}`.toLowerCase().replace(/[^a-z0-9_-]+/g, '_');
    await sharp(pixels, { raw: { width, height, channels: bpp } }).toColourspace('srgb').removeAlpha().png().toFile(path.join(out, `${name}.png`));
    written++;
  }
  process.stdout.write(`${written} patterns written to ${out}\n`);
}
main().catch((e) => {
  process.stderr.write(`extract-gimp-patterns: ${e.message}\n`);
  process.exit(1);
});
