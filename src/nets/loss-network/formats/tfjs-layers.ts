/**
 * Reads VGG conv weights from a TensorFlow.js layers model (model.json + binary shards) with plain fs: tfjs' file://
 * loader needs tfjs-node, which is optional. Truncated models are normal (people ship block1–3 only): groups whose shard
 * files are absent are skipped, and the network is built from what is there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { InputError } from '../../../errors';
import type { RawConv, RawVggWeights } from '../types';
import { archFromConvNames, archFromFileName } from '../vgg-layout';

const WeightSpec = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string().optional(),
  quantization: z.unknown().optional(),
});
const ModelJson = z.object({
  modelTopology: z.unknown().optional(),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSpec) })),
});

/** `vgg19/block1_conv1/kernel:0` or `block1_conv1/kernel` → { layer: block1_conv1, kind: kernel }. */
export function parseConvWeightName(name: string): { layer: string; kind: 'kernel' | 'bias' } | undefined {
  const m = /(block\d_conv\d)\/(kernel|bias)(?::\d+)?$/.exec(name);
  return m ? { layer: m[1], kind: m[2] as 'kernel' | 'bias' } : undefined;
}

/** A directory holding model.json, or model.json itself. */
export function tfjsModelJsonPath(p: string): string {
  return fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, 'model.json') : p;
}

function modelName(topology: unknown): string | undefined {
  const t = topology as { model_config?: { config?: { name?: unknown } }; config?: { name?: unknown } } | undefined;
  const n = t?.model_config?.config?.name ?? t?.config?.name;
  return typeof n === 'string' ? n : undefined;
}

export function readTfjsLayersVgg(p: string): RawVggWeights {
  const jsonPath = tfjsModelJsonPath(p);
  const dir = path.dirname(jsonPath);
  let parsed: z.infer<typeof ModelJson>;
  try {
    parsed = ModelJson.parse(JSON.parse(fs.readFileSync(jsonPath, 'utf8')));
  } catch (e) {
    throw new InputError(`${jsonPath}: not a TensorFlow.js layers model.json (${(e as Error).message.split('\n')[0]})`);
  }
  const convs = new Map<string, RawConv>();
  const declared: string[] = [];
  for (const group of parsed.weightsManifest) {
    const names = group.weights.map((w) => parseConvWeightName(w.name)?.layer).filter((n): n is string => !!n);
    for (const n of names) if (!declared.includes(n)) declared.push(n);
    // Absent shards: this group (and normally everything after it) was left out of the copy. Not an error.
    if (!group.paths.every((f) => fs.existsSync(path.join(dir, f)))) continue;
    const data = Buffer.concat(group.paths.map((f) => fs.readFileSync(path.join(dir, f))));
    let offset = 0;
    const pending = new Map<string, Partial<RawConv>>();
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if ((w.dtype ?? 'float32') !== 'float32' || w.quantization) {
        throw new InputError(`${jsonPath}: weight ${w.name} is ${w.quantization ? 'quantized' : w.dtype}; only float32 VGG weights are supported`);
      }
      const bytes = count * 4;
      if (offset + bytes > data.length) {
        throw new InputError(`${jsonPath}: shards of ${group.paths.join(', ')} hold ${data.length} bytes, fewer than the manifest lists (file truncated?)`);
      }
      const values = new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + bytes));
      offset += bytes;
      const id = parseConvWeightName(w.name);
      if (!id) continue;
      const entry = pending.get(id.layer) ?? {};
      if (id.kind === 'kernel') Object.assign(entry, { kernel: values, kernelShape: w.shape, layout: 'HWIO' });
      else entry.bias = values;
      pending.set(id.layer, entry);
    }
    for (const [layer, e] of pending) {
      if (e.kernel && e.bias) convs.set(layer, e as RawConv);
    }
  }
  const name = modelName(parsed.modelTopology);
  return {
    format: 'tfjs layers',
    preprocessing: 'caffe', // Keras-converted VGGs expect Keras' caffe preprocessing.
    convs,
    declared,
    archHint: archFromConvNames(declared) ?? (name ? archFromFileName(name) : undefined) ?? archFromFileName(jsonPath),
  };
}
