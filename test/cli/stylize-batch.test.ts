// nst stylize on a folder of odd inputs, through the built CLI (bin/nst.js → dist/) as a new user runs it: every input
// gets one line naming it, none stops the others, the exit code says some were skipped.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { saveCheckpoint } from '../../src/checkpoint';
import { buildTransformer } from '../../src/nets/transformer';
import { makeOddFolder, makeTmpDir } from '../infer/fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nst.js');
const built = fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'));

const dir = makeTmpDir('nst-cli-batch-');
const ckpt = path.join(dir, 'tiny-ckpt');

function nst(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240000, env: { ...process.env, NST_QUIET: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stderr.split('\n').filter((l) => l && !l.startsWith('nst: backend')) };
}

beforeAll(async () => {
  const config = { width: 0.125, residualBlocks: 1 };
  const model = buildTransformer(config);
  await saveCheckpoint(ckpt, { model, config });
  model.dispose();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

(built ? describe : describe.skip)('nst stylize on a folder of odd files (built CLI)', () => {
  it('--out: one line per input, tiny images written at their size, colliding names kept apart, exit 1', async () => {
    const odd = await makeOddFolder(path.join(dir, 'odd'));
    const out = path.join(dir, 'styled');
    const r = nst(['stylize', '-m', ckpt, odd, '--out', out, '--no-progress']);
    expect(r.code).toBe(1);
    const perInput = r.lines.slice(0, -1);
    expect(perInput).toHaveLength(10);
    expect(r.lines.at(-1)).toMatch(/^stylized 8 images, 2 failed in /);
    const lineOf = (name: string) => perInput.filter((l) => l.startsWith(path.join(odd, name) + ' ') || l.includes(` ${path.join(odd, name)}:`));
    for (const name of ['one.png', 'strip.png', 'small.png', 'photo.png', 'photo.gif', 'photo.tiff', 'photo.heic', path.join('x.jpg', 'inner.png')]) {
      expect(lineOf(name)).toHaveLength(1);
      expect(lineOf(name)[0]).toMatch(/ -> /);
    }
    expect(lineOf('corrupt.jpg')[0]).toMatch(/^nst: skipped .*corrupt\.jpg: cannot decode as an image/);
    expect(lineOf('x.jpg')[0]).toBe(`nst: skipped ${path.join(odd, 'x.jpg')}: is a folder named like an image, not an image`);
    expect(lineOf('one.png')[0]).toMatch(/\(1x1, \d+ ms\)$/);
    expect(lineOf('small.png')[0]).toMatch(/\(3x5, \d+ ms\)$/);
    expect(lineOf('photo.heic')[0]).toContain(`-> ${path.join(out, 'photo-2.png')} (10x6, `);
    expect(lineOf('photo.heic')[0]).toMatch(/; renamed: .*photo\.png is taken by .*photo\.png$/);
    expect(lineOf('photo.tiff')[0]).toMatch(/photo\.tiff .*; kept tiff: /);
    const formats = await Promise.all(
      ['one.png', 'strip.png', 'small.png', 'photo.png', 'photo.gif', 'photo.tiff', 'photo-2.png', path.join('x.jpg', 'inner.png')].map(async (f) => {
        const m = await sharp(path.join(out, f)).metadata();
        return `${f} ${m.format} ${m.width}x${m.height}`;
      }),
    );
    expect(formats).toEqual([
      'one.png png 1x1',
      'strip.png png 1x7',
      'small.png png 3x5',
      'photo.png png 10x6',
      'photo.gif gif 10x6',
      'photo.tiff tiff 10x6',
      'photo-2.png png 10x6',
      `${path.join('x.jpg', 'inner.png')} png 6x4`,
    ]);
  });

  it('beside the inputs: photo.gif + photo.tiff get photo-stylized.png and photo-stylized.tiff; inputs untouched', async () => {
    const pair = path.join(dir, 'pair');
    await makeOddFolder(pair);
    for (const f of ['photo.png', 'photo.heic', 'one.png', 'strip.png', 'small.png', 'corrupt.jpg']) fs.rmSync(path.join(pair, f));
    fs.rmSync(path.join(pair, 'x.jpg'), { recursive: true });
    const before = fs.readdirSync(pair).map((f) => [f, fs.readFileSync(path.join(pair, f)).length]);
    const r = nst(['stylize', '-m', ckpt, path.join(pair, 'photo.gif'), path.join(pair, 'photo.tiff')]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(3);
    expect(r.lines[0]).toMatch(/photo\.gif -> .*photo-stylized\.png \(10x6, /);
    expect(r.lines[1]).toMatch(/photo\.tiff -> .*photo-stylized\.tiff \(10x6, \d+ ms\); kept tiff: .*photo-stylized\.png is taken by .*photo\.gif$/);
    expect(fs.readdirSync(pair).sort()).toEqual(['.hidden.jpg', 'photo-stylized.png', 'photo-stylized.tiff', 'photo.gif', 'photo.tiff']);
    for (const [f, size] of before) expect(fs.readFileSync(path.join(pair, f as string)).length).toBe(size);
  });

  it('a run where every input is skipped loads no model and still names each input, exit 1', () => {
    const r = nst(['stylize', '-m', path.join(dir, 'no-such-model'), path.join(dir, 'nothing-here.png'), `${dir}/*.nothing`]);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `nst: skipped ${path.join(dir, 'nothing-here.png')}: no such file or folder`,
      `nst: skipped ${dir}/*.nothing: the pattern matches no image files`,
      expect.stringMatching(/^stylized 0 images, 2 failed in /),
    ]);
  });
});

if (!built) process.stderr.write('SKIPPED: CLI batch tests need the build (npx tsc -p tsconfig.build.json)\n');
