import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadLossNetwork } from '../../src/nets/loss-network';

// The fallback is for machines with no VGG weights at all. ../shared's partial VGG19 would be found on development
// checkouts, so this file hides it from the lookup: the test then behaves the same with or without ../shared.
jest.mock('../../src/nets/loss-network/locate', () => {
  const actual = jest.requireActual('../../src/nets/loss-network/locate');
  return {
    ...actual,
    weightCandidates: (option: string | undefined, net: 'vgg16' | 'vgg19' | 'auto') =>
      actual.weightCandidates(option, net, actual.lossWeightSearchOrder(option).filter((e: { source: string }) => !e.source.startsWith('shared demo'))),
  };
});

describe('loss weight lookup falling back', () => {
  it('with no VGG weights anywhere and allowFallback, loads the MobileNetV2 and warns through log', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    const saved = { home: process.env.NST_HOME, weights: process.env.NST_LOSS_WEIGHTS };
    process.env.NST_HOME = home;
    delete process.env.NST_LOSS_WEIGHTS;
    const lines: string[] = [];
    try {
      const net = await loadLossNetwork({ taps: ['relu2_2', 'relu4_2'], allowFallback: true, log: (l) => lines.push(l) });
      expect(net.arch).toBe('mobilenetv2-fallback');
      expect(net.availableTaps).toContain('relu4_2');
      expect(lines.join('\n')).toMatch(/warning: using the MobileNetV2 fallback .*quality is noticeably lower than with VGG/);
      expect(lines.join('\n')).toMatch(/warning: no ImageNet VGG weights found .*nst weights fetch vgg16/);
      net.dispose();
    } finally {
      if (saved.home === undefined) delete process.env.NST_HOME;
      else process.env.NST_HOME = saved.home;
      if (saved.weights !== undefined) process.env.NST_LOSS_WEIGHTS = saved.weights;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('without allowFallback, no VGG weights is an error that says how to get them', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-lookup-'));
    const saved = process.env.NST_HOME;
    process.env.NST_HOME = home;
    try {
      await expect(loadLossNetwork({ taps: ['relu2_2'] })).rejects.toThrow(/no ImageNet VGG weights found .*nst weights fetch vgg16.*--loss-weights PATH \(or allow the lower-quality MobileNetV2 fallback\)/);
    } finally {
      if (saved === undefined) delete process.env.NST_HOME;
      else process.env.NST_HOME = saved;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
