/**
 * The preview grid: a fixed set of validation photos (top row) and what the network currently makes of them (bottom
 * row), written as a PNG every `previewEvery` steps, so the look can be judged while the run goes — loss numbers alone
 * do not certify a style.
 */
import * as path from 'path';
import { tf } from '../backend/tf';
import { encodeImage, RgbImage } from '../image/image-io';
import { loadCroppedImage } from './data';

export const PREVIEW_LATEST_FILE = 'preview-latest.png';
const GAP = 4;

/**
 * Centre crops of the preview photos, one [N,S,S,3] tensor (the caller disposes it). A photo that cannot be read is
 * left out with a warning (previews must never stop a run); undefined when none can.
 */
export async function loadPreviewBatch(files: string[], size: number, log: (line: string) => void = () => {}): Promise<tf.Tensor4D | undefined> {
  const images: Float32Array[] = [];
  for (const f of files) {
    try {
      images.push(await loadCroppedImage(f, size, 'center'));
    } catch (e) {
      log(`nst: warning: preview image ${f} left out: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (images.length === 0) return undefined;
  const all = new Float32Array(images.length * size * size * 3);
  images.forEach((im, i) => all.set(im, i * size * size * 3));
  return tf.tensor4d(all, [images.length, size, size, 3]);
}

/** Lays out rows of equally sized square images with white gaps: rows[r][c] is HWC RGB 0..255. */
export function gridImage(rows: Float32Array[][], size: number): RgbImage {
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * size + (cols + 1) * GAP;
  const height = rows.length * size + (rows.length + 1) * GAP;
  const rgb = new Float32Array(width * height * 3).fill(255);
  rows.forEach((row, r) =>
    row.forEach((img, c) => {
      const x0 = GAP + c * (size + GAP);
      const y0 = GAP + r * (size + GAP);
      for (let y = 0; y < size; y++) rgb.set(img.subarray(y * size * 3, (y + 1) * size * 3), ((y0 + y) * width + x0) * 3);
    }),
  );
  return { width, height, rgb };
}

/**
 * Stylizes the preview batch and writes preview-step-NNNNNN.png and preview-latest.png; returns the step file. With
 * several stylizers (one per style of a multi-style network) the grid has one row of outputs per stylizer, in order,
 * under the row of photos.
 */
export async function writePreview(
  outDir: string,
  step: number,
  inputs: tf.Tensor4D,
  stylize: ((x: tf.Tensor4D) => tf.Tensor4D) | Array<(x: tf.Tensor4D) => tf.Tensor4D>,
): Promise<string> {
  const [n, size] = inputs.shape;
  const plane = size * size * 3;
  const split = (d: Float32Array) => Array.from({ length: n }, (_, i) => d.subarray(i * plane, (i + 1) * plane));
  const rows = [split((await inputs.data()) as Float32Array)];
  for (const f of Array.isArray(stylize) ? stylize : [stylize]) {
    const output = tf.tidy(() => f(inputs));
    rows.push(split((await output.data()) as Float32Array));
    output.dispose();
  }
  const grid = gridImage(rows, size);
  const file = path.join(outDir, `preview-step-${String(step).padStart(6, '0')}.png`);
  await encodeImage(grid, file);
  await encodeImage(grid, path.join(outDir, PREVIEW_LATEST_FILE));
  return file;
}
