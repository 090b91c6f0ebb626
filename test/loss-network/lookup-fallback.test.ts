import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadLossNetwork } from '../../src/nets/loss-network';
import { withEnv } from '../helpers';

// The fallback is for installs with no VGG weights at all, not even the embedded partial VGG19 (assets missing): this
// file hides the embedded one from the lookup to stand for that.
jest.mock('../../src/nets/loss-network/locate', () => {
  const actual = jest.requireActual('../../src/nets/loss-network/locate');
  return {
    ...actual,
    weightCandidates: (option: string | undefined, net: 'vgg16' | 'vgg19' | 'auto') =>
      actual.weightCandidates(option, net, actual.lossWeightSearchOrder(option).filter((e: { source: string }) => e.source !== actual.EMBEDDED_SOURCE)),
  };
});

describe('loss weight lookup falling back', () => {
  it('with no VGG weights anywhere and allowFallback, loads the MobileNetV2 and warns through log', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    const lines: string[] = [];
    try {
      const net = await withEnv({ NST_HOME: home, NST_LOSS_WEIGHTS: undefined }, () =>
        loadLossNetwork({ taps: ['relu2_2', 'relu4_2'], allowFallback: true, log: (l) => lines.push(l) }),
      );
      expect(net.arch).toBe('mobilenetv2-fallback');
      expect(net.availableTaps).toContain('relu4_2');
      expect(lines.join('\n')).toMatch(/warning: using the MobileNetV2 fallback .*quality is noticeably lower than with VGG/);
      expect(lines.join('\n')).toMatch(/warning: no ImageNet VGG weights found .*nst weights fetch vgg16/);
      net.dispose();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('without allowFallback, no VGG weights is an error that says how to get them', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    try {
      await expect(withEnv({ NST_HOME: home }, () => loadLossNetwork({ taps: ['relu2_2'] }))).rejects.toThrow(
        /no ImageNet VGG weights found .*nst weights fetch vgg16.*--loss-weights PATH \(or allow the lower-quality MobileNetV2 fallback\)/,
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
