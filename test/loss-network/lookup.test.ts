import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../../src/errors';
import { embeddedLossWeights, loadLossNetwork, lossWeightSearchOrder, weightCandidates } from '../../src/nets/loss-network';
import { withEnv } from '../helpers';

describe('loss weight lookup', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('a --loss-weights path that does not exist is an error naming it', async () => {
    await expect(loadLossNetwork({ weights: path.join(home, 'nope.h5'), taps: ['relu1_1'] })).rejects.toThrow(
      /nope\.h5 \(from --loss-weights\) does not exist/,
    );
  });

  it('--loss-weights wins over NST_LOSS_WEIGHTS, which wins over the cache; the log names the source', async () => {
    const fix = path.join(__dirname, '..', 'fixtures', 'vgg');
    const lines: string[] = [];
    const viaOption = await withEnv({ NST_HOME: home, NST_LOSS_WEIGHTS: path.join(fix, 'vgg16-block1-tfjs') }, () =>
      loadLossNetwork({ weights: path.join(fix, 'vgg16-notop-block1.h5'), taps: ['relu1_2'], log: (l) => lines.push(l) }),
    );
    expect(viaOption.description).toMatch(/^vgg16 \(keras h5, block1\)/);
    viaOption.dispose();
    const viaEnv = await withEnv({ NST_HOME: home, NST_LOSS_WEIGHTS: path.join(fix, 'vgg16-block1-tfjs') }, () =>
      loadLossNetwork({ taps: ['relu1_2'], log: (l) => lines.push(l) }),
    );
    expect(viaEnv.description).toMatch(/^vgg16 \(tfjs layers, block1\)/);
    viaEnv.dispose();
    expect(lines).toEqual([
      expect.stringMatching(/^nst: loss network vgg16 \(keras h5, block1\) from .*vgg16-notop-block1\.h5 \[--loss-weights\]$/),
      expect.stringMatching(/^nst: loss network vgg16 \(tfjs layers, block1\) from .*vgg16-block1-tfjs \[NST_LOSS_WEIGHTS\]$/),
    ]);
  });

  it('an absent cache folder yields no candidates (and is not an error)', async () => {
    const entries = [{ source: 'cache (NST_HOME)', path: path.join(home, 'weights') }];
    expect(weightCandidates(undefined, 'auto', entries)).toEqual([]);
  });

  it('the cache folder lists known files, the requested architecture first, ignoring .part files', () => {
    const dir = path.join(home, 'weights');
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['vgg19-dcbb9e9d.pth', 'vgg16-397923af.pth', 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', 'x.pth.part', 'other.h5']) {
      fs.writeFileSync(path.join(dir, f), '');
    }
    const entries = [{ source: 'cache (NST_HOME)', path: dir }];
    const names = (net: 'auto' | 'vgg19') => weightCandidates(undefined, net, entries).map((c) => path.basename(c.file));
    expect(names('auto')).toEqual(['vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', 'vgg16-397923af.pth', 'vgg19-dcbb9e9d.pth']);
    expect(names('vgg19')[0]).toBe('vgg19-dcbb9e9d.pth');
  });
});

describe('loss weight lookup, tap names', () => {
  it('rejects unknown tap names before looking for anything', async () => {
    await expect(loadLossNetwork({ taps: ['conv1_1'] })).rejects.toThrow(/unknown loss-network tap conv1_1: taps are relu1_1, /);
    await expect(loadLossNetwork({ net: 'vgg16', taps: ['relu3_4'] })).rejects.toThrow(/tap relu3_4 not available from vgg16/);
  });
});

describe('loss weight lookup with the embedded VGG19', () => {
  it('searches --loss-weights, NST_LOSS_WEIGHTS, the cache, then the embedded assets — and nothing beside the checkout', async () => {
    const order = await withEnv({ NST_HOME: '/nowhere', NST_LOSS_WEIGHTS: '/env/w.h5' }, async () => lossWeightSearchOrder('/opt/w.pth'));
    expect(order.map((e) => e.source)).toEqual(['--loss-weights', 'NST_LOSS_WEIGHTS', 'cache (NST_HOME)', 'embedded (assets)']);
    expect(order[3].path).toBe(embeddedLossWeights());
    expect(order.some((e) => e.path.includes(`${path.sep}shared${path.sep}`))).toBe(false);
  });

  it('finds the embedded partial VGG19 when nothing else is configured', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    const lines: string[] = [];
    const net = await withEnv({ NST_HOME: home, NST_LOSS_WEIGHTS: undefined }, () =>
      loadLossNetwork({ taps: ['relu1_2', 'relu3_3'], log: (l) => lines.push(l) }),
    );
    try {
      expect(net.arch).toBe('vgg19');
      expect(net.availableTaps).toEqual(['relu1_1', 'relu1_2', 'relu2_1', 'relu2_2', 'relu3_1', 'relu3_2', 'relu3_3', 'relu3_4']);
      expect(lines.join('\n')).toContain('[embedded (assets)]');
    } finally {
      net.dispose();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('the partial VGG19 that cannot serve the taps is logged as skipped, then refused with the ways out', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    const lines: string[] = [];
    const attempt = withEnv({ NST_HOME: home, NST_LOSS_WEIGHTS: undefined }, () =>
      loadLossNetwork({ taps: ['relu4_2'], log: (l) => lines.push(l) }),
    );
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(/tap relu4_2 not available .*nst weights fetch vgg16/);
    expect(lines.join('\n')).toMatch(/skipped: loss-network tap relu4_2 not available/);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a searched VGG that lacks a named tap is an error naming the choices, not a silent MobileNetV2 fallback', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    const attempt = withEnv({ NST_HOME: home, NST_LOSS_WEIGHTS: undefined }, () =>
      loadLossNetwork({ taps: ['relu2_2', 'relu4_2'], allowFallback: true }),
    );
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(/tap relu4_2 not available from vgg19 .*available taps are relu1_1, .*relu3_4\. .*--loss-net mobilenetv2/);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('an explicit path that cannot serve the taps is an error, not a silent fallback', async () => {
    await expect(
      loadLossNetwork({ weights: embeddedLossWeights(), taps: ['relu4_1'], allowFallback: true }),
    ).rejects.toThrow(/tap relu4_1 not available/);
  });
});
