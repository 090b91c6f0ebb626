import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint } from '../../src/checkpoint';
import { nstInProcess as nst } from '../cli-in-process';
import { PYTORCH_EXAMPLES_CONFIG } from '../../src/nets/transformer';
import { describeShared, sharedPath } from '../helpers';

describeShared('nst import (CLI)', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-import-cli-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('imports a .pth into a checkpoint; a second import needs --force; errors are one line', async () => {
    const pth = sharedPath('models/pytorch-examples-transformer/transformer.pth');
    const out = path.join(root, 'checkpoints', 'random');
    const r = await nst(['import', pth, '--out', out, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/imported pytorch-examples network .* -> .*random/);
    const ck = await loadCheckpoint(out);
    expect(ck.config).toEqual(PYTORCH_EXAMPLES_CONFIG);
    expect(ck.meta.source).toMatchObject({ format: 'pytorch-examples', path: pth });
    ck.model.dispose();

    const again = await nst(['import', pth, '--out', out, '--backend', 'cpu']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/^nst: error: .*already exists there; pass --force/);
    expect((await nst(['import', pth, '--out', out, '--force', '--backend', 'cpu'])).code).toBe(0);

    const missing = await nst(['import', path.join(root, 'nope.pth'), '--out', path.join(root, 'x'), '--backend', 'cpu']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^nst: error: .*nope.pth: not found\n$/);
  });
});
