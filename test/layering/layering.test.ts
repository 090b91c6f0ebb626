/**
 * The layering of src/ (.dependency-cruiser.cjs): the real tree has no violation, and the rules do catch the
 * imports they forbid (checked on a small made-up tree, so a rule that silently matches nothing fails here).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string): Violation[] {
  const r = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!r.stdout) throw new Error(`depcruise produced no output: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('src/ follows the layering (cli → library → foundations → nets → backend), without cycles', () => {
  const violations = cruise(ROOT);
  expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
});

test('the rules catch sideways, upward and CLI imports and value cycles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-layering-'));
  try {
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }),
      'src/errors.ts': 'export const e = 1;\n',
      'src/train/a.ts': "import { b } from '../optimize/b';\nexport const a = b;\n",
      'src/optimize/b.ts': 'export const b = 1;\n',
      'src/queue/q.ts': "import { b } from '../optimize/b';\nexport const q = b;\n",
      'src/serve/s.ts': "import { i } from '../infer/i';\nimport { q } from '../queue/q';\nexport const s = i + q;\n",
      'src/infer/i.ts': "import { q } from '../queue/q';\nexport const i = q;\n",
      'src/nets/n.ts': "import { s } from '../losses/s';\nexport const n = s;\n",
      'src/losses/s.ts': "import { c } from '../cli/c';\nexport const s = c;\n",
      'src/cli/c.ts': 'export const c = 1;\n',
      'src/backend/k.ts': "import { n } from '../nets/n';\nexport const k = n;\n",
      'src/util/u.ts': "import { b } from '../optimize/b';\nexport const u = b;\n",
      'src/image/x.ts': "import { y } from './y';\nexport const x = 1; export const z = y;\n",
      'src/image/y.ts': "import { x } from './x';\nexport const y = x;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const found = cruise(dir).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'library-not-sideways: src/train/a.ts → src/optimize/b.ts',
        'nothing-below-imports-the-apps: src/infer/i.ts → src/queue/q.ts',
        'apps-not-sideways: src/serve/s.ts → src/queue/q.ts',
        'nets-not-upward: src/nets/n.ts → src/losses/s.ts',
        'nothing-imports-the-cli: src/losses/s.ts → src/cli/c.ts',
        'backend-not-upward: src/backend/k.ts → src/nets/n.ts',
        'foundations-not-upward: src/util/u.ts → src/optimize/b.ts',
        'helpers-are-leaves: src/util/u.ts → src/optimize/b.ts',
      ]),
    );
    expect(found.some((v) => v.startsWith('no-cycles: src/image/'))).toBe(true);
    // The applications (queue, serve) use library modules, as the CLI does: allowed.
    expect(found.filter((v) => v.includes('src/queue/q.ts →') || v.includes('src/serve/s.ts → src/infer/'))).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
