/**
 * The models a server keeps warm, by name: `--model NAME=PATH` or `--model PATH` (named by its folder or file name,
 * without .onnx), plus the embedded AdaIN model as "adain" when the package has it and no given model took the name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';
import { embeddedAdainDecoderDir } from '../infer/arbitrary';
import { openModel, type OpenedModel } from '../infer/open-model';

export const EMBEDDED_ADAIN_NAME = 'adain';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ServedModel {
  name: string;
  kind: OpenedModel['kind'];
  opened: OpenedModel;
}

/** NAME=PATH or PATH → name and path; the name must be URL- and label-safe. */
export function parseModelSpec(spec: string): { name: string; path: string } {
  const eq = spec.indexOf('=');
  const named = eq > 0 && NAME.test(spec.slice(0, eq));
  const file = named ? spec.slice(eq + 1) : spec;
  const name = named ? spec.slice(0, eq) : path.basename(file.replace(/[\\/]+$/, '')).replace(/\.onnx$/i, '');
  if (!NAME.test(name)) throw new UsageError(`--model ${spec}: cannot name the model '${name}' (use NAME=PATH, NAME of letters, digits, . _ -)`);
  return { name, path: file };
}

/** Loads every model once (in order); two models with one name are a usage error before anything loads. */
export async function loadServedModels(specs: readonly string[], log: (line: string) => void = () => undefined): Promise<ServedModel[]> {
  const parsed = specs.map(parseModelSpec);
  const seen = new Set<string>();
  for (const p of parsed) {
    if (seen.has(p.name)) throw new UsageError(`--model: two models are named '${p.name}': name them apart with NAME=PATH`);
    seen.add(p.name);
  }
  const embedded = !seen.has(EMBEDDED_ADAIN_NAME) && fs.existsSync(path.join(embeddedAdainDecoderDir(), 'nst.json'));
  const all: Array<{ name: string; path?: string }> = [...parsed, ...(embedded ? [{ name: EMBEDDED_ADAIN_NAME }] : [])];
  const out: ServedModel[] = [];
  try {
    for (const m of all) {
      const opened = await openModel(m.path);
      out.push({ name: m.name, kind: opened.kind, opened });
      log(`nst serve: model ${m.name} (${opened.kind === 'style' ? 'per-style' : 'arbitrary style, AdaIN'}) from ${opened.source}`);
    }
  } catch (e) {
    for (const m of out) m.opened.dispose();
    throw e;
  }
  return out;
}
