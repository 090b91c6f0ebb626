// `nst train --help`, `nst optimize --help` and `nst stylize --help` (the built CLI) show each default once, and it is
// the schema's: the values a config parsed from only the required fields comes out with.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { kebabCase } from '../../src/util/flag-names';
import { parseOptimizeConfig } from '../../src/optimize';
import { parseTrainConfig } from '../../src/train/config';
import { DEFAULT_TILE_STATS } from '../../src/infer/stylize';
import { StylizeCommandOptionsSchema } from '../../src/infer/stylize-options';
import { StatusOptionsSchema, WorkerOptionsSchema } from '../../src/queue/options';
import { ServeOptionsSchema } from '../../src/serve';

const ROOT = path.resolve(__dirname, '..', '..');
const built = fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'));

/** Each option's help text (its lines joined, whitespace collapsed), by flag. */
function helpBlocks(command: string): Map<string, string> {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nst.js'), command, '--help'], { encoding: 'utf8', timeout: 120000 });
  expect(r.status).toBe(0);
  const lines = new Map<string, string[]>();
  let flag: string | undefined;
  for (const line of r.stdout.split('\n')) {
    // Option lines start in the first columns; a wrapped description may also start with a flag, further in.
    const m = /^ {1,8}(?:-\w, )?--([\w-]+)\s/.exec(line);
    if (m) lines.set((flag = m[1]), [line]);
    else if (flag && /^\s+\S/.test(line)) lines.get(flag)!.push(line); // a wrapped description or annotation
    else flag = undefined;
  }
  return new Map([...lines].map(([f, ls]) => [f, ls.join(' ').replace(/\s+/g, ' ')]));
}

/** The defaults a parsed config fills in: every field the required ones did not set. */
function schemaDefaults(required: Record<string, unknown>, parsed: Record<string, unknown>): Map<string, string> {
  const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  return new Map(Object.entries(parsed).filter(([k]) => !(k in required)).map(([k, v]) => [kebabCase(k), shown(v)]));
}

/** stylize's defaults: the schema's, plus --tile-stats, whose library default is shown but left to the library to apply. */
const stylizeDefaults = new Map([...schemaDefaults({}, StylizeCommandOptionsSchema.parse({})), ['tile-stats', JSON.stringify(DEFAULT_TILE_STATS)]]);

/** Command, its defaults, and how many it has at least (so a broken parse cannot pass with none). */
const cases: Array<[string, Map<string, string>, number]> = [
  ['train', schemaDefaults({ style: 's', data: ['d'], out: 'o' }, parseTrainConfig({ style: 's', data: ['d'], out: 'o' })), 9],
  ['optimize', schemaDefaults({ content: 'c', style: 's', output: 'o.png' }, parseOptimizeConfig({ content: 'c', style: 's', output: 'o.png' })), 9],
  ['stylize', stylizeDefaults, 8],
  ['worker', schemaDefaults({}, WorkerOptionsSchema.parse({})), 7],
  ['status', schemaDefaults({}, StatusOptionsSchema.parse({})), 3],
  ['serve', schemaDefaults({}, ServeOptionsSchema.parse({})), 10],
];

(built ? describe : describe.skip).each(cases)('nst %s --help', (command, defaults, atLeast) => {
  let blocks: Map<string, string>;
  beforeAll(() => {
    blocks = helpBlocks(command);
  });

  it('shows every schema default, as the schema has it', () => {
    expect(defaults.size).toBeGreaterThanOrEqual(atLeast);
    const shown = [...defaults.keys()].map((flag) => [flag, blocks.get(flag)?.match(/\[default: [^\]]*\]/g)?.join(' ')]);
    expect(shown).toEqual([...defaults].map(([flag, value]) => [flag, `[default: ${value}]`]));
  });

  it('mentions a default at most once per option (no description restates it)', () => {
    const repeated = [...blocks].filter(([, text]) => (text.match(/default/gi)?.length ?? 0) > 1).map(([flag]) => flag);
    expect(repeated).toEqual([]);
  });
});

if (!built) process.stderr.write('SKIPPED: help tests need the build (npx tsc -p tsconfig.build.json)\n');
