// Shared by the scripts that make committed contact sheets (docs/*.png): run the built CLI, read a run's loss log,
// and draw the text cells. Only generated images and public-domain photos go into a sheet; style paintings from
// ../shared are named in a text cell, never shown (they may not be redistributed).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nst.js');

/** Runs `nst ARGS` with the built CLI; throws (naming the command) when it fails. */
function nst(args) {
  process.stderr.write(`$ nst ${args.join(' ')}\n`);
  // The child's stdout goes to our stderr: scripts print their results (JSON, tables) alone on stdout.
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', process.stderr, 'inherit'] });
  if (r.status !== 0) throw new Error(`nst ${args[0]} exited with ${r.status ?? r.signal}`);
}

/** Stylizes `photos` (paths) with `model` in one CLI call into a fresh `dir` as PNGs; returns the output paths in order. */
function stylizePhotos(model, photos, dir, maxSize) {
  fs.rmSync(dir, { recursive: true, force: true });
  nst(['stylize', '--model', model, ...photos, '--out', dir, '--format', 'png', '--max-size', String(maxSize), '--no-progress']);
  return photos.map((p) => path.join(dir, path.basename(p).replace(/\.\w+$/, '.png')));
}

/** Every line of a run's train-log.jsonl, parsed. */
function readLossLog(runDir) {
  const file = path.join(runDir, 'train-log.jsonl');
  if (!fs.existsSync(file)) throw new Error(`${file}: no loss log (is ${runDir} a training run folder?)`);
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** Mean of each loss term over the last `n` logged steps: batch-1 losses are too noisy to quote one step. */
function meanLosses(log, n) {
  const tail = log.slice(-n);
  const mean = (key) => tail.reduce((s, e) => s + e[key], 0) / tail.length;
  return { steps: tail.length, content: mean('content'), style: mean('style'), tv: mean('tv'), total: mean('total') };
}

const escapeXml = (s) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

/** A white PNG cell with one or more lines of text (the first in bold). */
async function textCell(lines, width, height, fontSize = 14) {
  const rows = (Array.isArray(lines) ? lines : [lines]).map((line, i) =>
    `<text x="8" y="${(i + 1) * (fontSize + 5)}" font-family="sans-serif" font-size="${fontSize}"` +
    `${i === 0 ? ' font-weight="bold"' : ''}>${escapeXml(line)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>${rows}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** An image file scaled and centre-cropped to exactly width × height. */
function imageCell(file, width, height) {
  return sharp(file).resize(width, height, { fit: 'cover' }).png().toBuffer();
}

/** Composes cells laid out as rows of {buffer, width} (rows may differ in height) into one PNG. */
async function composeGrid(rows, file) {
  const tiles = [];
  let top = 0;
  let width = 0;
  for (const row of rows) {
    let left = 0;
    for (const cell of row.cells) {
      tiles.push({ input: cell.buffer, left, top });
      left += cell.width;
    }
    width = Math.max(width, left);
    top += row.height;
  }
  // The format follows the file's extension (.jpg keeps photo-heavy sheets small enough to commit).
  const image = sharp({ create: { width, height: top, channels: 3, background: 'white' } }).composite(tiles);
  await (file.endsWith('.jpg') ? image.jpeg({ quality: 85, mozjpeg: true }) : image.png()).toFile(file);
}

module.exports = { ROOT, nst, stylizePhotos, readLossLog, meanLosses, textCell, imageCell, composeGrid };
