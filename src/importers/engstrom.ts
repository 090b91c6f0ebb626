/**
 * Imports deeplearn.js / ml5 fast-style checkpoints (ports of Engstrom's fast-style-transfer): a folder with
 * `manifest.json` ({ "Variable_k": { filename, shape } }) and one raw little-endian float32 file per variable.
 *
 * Layout (Engstrom's transform.py, variables numbered in creation order): each conv's kernel is Variable_k, followed
 * by its instance norm's shift (beta, Variable_k+1) and scale (gamma, Variable_k+2). Convs in order: conv1 (0),
 * conv2 (3), conv3 (6), res1..5 (9/12, 15/18, 21/24, 27/30, 33/36), transposed deconv1 (39, [h,w,out,in], the same
 * layout tfjs' conv2dTranspose uses), deconv2 (42), last conv (45, followed by an IN too). See ENGSTROM_CONFIG.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { tf } from '../backend/tf';
import { InputError } from '../errors';
import { ENGSTROM_CONFIG, transformerConvSpecs } from '../nets/transformer';
import { buildImported } from './build-imported';
import { variablesByName } from '../nets/torch-mapping';
import type { ImportedNetwork } from './types';

export const ENGSTROM_FORMAT = 'engstrom-deeplearnjs';

const Manifest = z.record(z.string(), z.object({ filename: z.string(), shape: z.array(z.number().int().nonnegative()) }));
type Manifest = z.infer<typeof Manifest>;

/** Our weight name for each Engstrom variable index, derived from the conv order (3 variables per conv). */
export function engstromVariableNames(): Map<string, string> {
  const names = new Map<string, string>();
  transformerConvSpecs(ENGSTROM_CONFIG).forEach((spec, i) => {
    const k = 3 * i;
    const variable = (n: number) => (n === 0 ? 'Variable' : `Variable_${n}`);
    names.set(variable(k), `${spec.layer}/kernel`);
    names.set(variable(k + 1), `${spec.norm!.layer}/beta`);
    names.set(variable(k + 2), `${spec.norm!.layer}/gamma`);
  });
  return names;
}

export function readEngstromManifest(dir: string): { manifest: Manifest; text: string } {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}: not found (a deeplearn.js checkpoint folder holds manifest.json and Variable_k files)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message})`);
  }
  const r = Manifest.safeParse(parsed);
  if (!r.success) throw new InputError(`${file}: not a deeplearn.js checkpoint manifest ({ name: { filename, shape } })`);
  return { manifest: r.data, text };
}

export function importEngstrom(dirOrManifest: string): ImportedNetwork {
  const abs = path.resolve(dirOrManifest);
  const dir = path.basename(abs) === 'manifest.json' ? path.dirname(abs) : abs;
  const { manifest, text } = readEngstromManifest(dir);
  const names = engstromVariableNames();
  const missing = [...names.keys()].filter((v) => !manifest[v]);
  if (missing.length) {
    throw new InputError(`${dir}: manifest.json lacks ${missing.slice(0, 3).join(', ')}: not Engstrom's fast-style network (48 variables expected)`);
  }
  return buildImported(ENGSTROM_CONFIG, { format: ENGSTROM_FORMAT, path: dir, hashed: text }, (model) => {
    const vars = variablesByName(model);
    for (const [variable, tfName] of names) {
      const entry = manifest[variable];
      const v = vars.get(tfName)!;
      if (entry.shape.join(',') !== v.shape.join(',')) {
        throw new InputError(`${dir}: ${variable} has shape [${entry.shape}], expected [${v.shape}] for ${tfName}`);
      }
      const file = path.join(dir, entry.filename);
      if (path.dirname(file) !== dir) throw new InputError(`${dir}: manifest file name '${entry.filename}' points outside the folder`);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch {
        throw new InputError(`${file}: missing (listed in manifest.json as ${variable})`);
      }
      const count = entry.shape.reduce((a, b) => a * b, 1);
      if (bytes.length !== count * 4) throw new InputError(`${file}: ${bytes.length} bytes, expected ${count * 4} (float32 [${entry.shape}])`);
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(i * 4);
      const t = tf.tensor(data, entry.shape, 'float32');
      v.write(t);
      t.dispose();
    }
  });
}
