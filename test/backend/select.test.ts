import { UsageError } from '../../src/errors';
import { loadNativeAddon } from '../../src/backend/native/loader';
import { probeBackend, requestedBackend, selectedBackend, BACKEND_NAMES } from '../../src/backend/select';
import { collectDoctorReport } from '../../src/cli/commands/doctor';

describe('backend selection', () => {
  const saved = process.env.NST_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.NST_BACKEND;
    else process.env.NST_BACKEND = saved;
  });

  it('has chosen a backend for this test file and names it', () => {
    const chosen = selectedBackend();
    expect(chosen).toBeDefined();
    expect(BACKEND_NAMES).toContain(chosen!.name);
    expect(['cpu', 'tensorflow']).toContain(chosen!.tfBackend);
  });

  it('reads a forced backend from the option, then NST_BACKEND', () => {
    process.env.NST_BACKEND = 'cpu';
    expect(requestedBackend()).toBe('cpu');
    expect(requestedBackend('native')).toBe('native');
    process.env.NST_BACKEND = 'auto';
    expect(requestedBackend()).toBeUndefined();
  });

  it('rejects an unknown backend name with the list of valid ones', () => {
    expect(() => requestedBackend('cuda')).toThrow(UsageError);
    expect(() => requestedBackend('cuda')).toThrow(/tfjs-node-gpu, tfjs-node, native, cpu/);
  });

  it('reports a missing optional node backend as unavailable, with the reason', () => {
    for (const name of ['tfjs-node', 'tfjs-node-gpu'] as const) {
      const probe = probeBackend(name);
      let installed = true;
      try {
        require.resolve(name === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu');
      } catch {
        installed = false;
      }
      if (!installed) {
        expect(probe.available).toBe(false);
        expect(probe.detail).toMatch(/not installed/);
      }
    }
    expect(probeBackend('cpu').available).toBe(true);
  });
});

function installed(mod: string): boolean {
  try {
    require.resolve(mod);
    return true;
  } catch {
    return false;
  }
}

function skipUnless(condition: boolean, why: string): jest.It {
  if (!condition) process.stderr.write(`SKIPPED: ${why}\n`);
  return condition ? it : it.skip;
}

describe('forcing a backend that cannot load', () => {
  skipUnless(!installed('@tensorflow/tfjs-node'), '@tensorflow/tfjs-node is installed here, so forcing it succeeds')(
    'is a clear BackendError (fresh module state, tfjs-node absent)', async () => {
    await jest.isolateModulesAsync(async () => {
      const fresh = await import('../../src/backend/select');
      const freshErrors = await import('../../src/errors');
      await expect(fresh.selectBackend('tfjs-node')).rejects.toThrow(freshErrors.BackendError);
      await expect(fresh.selectBackend('tfjs-node')).rejects.toThrow(/tfjs-node.*not installed/);
    });
  });

  it('with NST_NATIVE=0, native is unavailable and says why', async () => {
    const saved = process.env.NST_NATIVE;
    process.env.NST_NATIVE = '0';
    try {
      await jest.isolateModulesAsync(async () => {
        const fresh = await import('../../src/backend/select');
        expect(fresh.probeBackend('native')).toMatchObject({ available: false, detail: 'disabled by NST_NATIVE=0' });
        await expect(fresh.selectBackend('native')).rejects.toThrow(/NST_NATIVE=0/);
      });
    } finally {
      if (saved === undefined) delete process.env.NST_NATIVE;
      else process.env.NST_NATIVE = saved;
    }
  });
});

describe('doctor report', () => {
  it('lists versions, every backend, the native addon, CPUs and weight lookup paths', () => {
    const r = collectDoctorReport();
    expect(r.node).toBe(process.version);
    expect(r.tfjs).toMatch(/^4\./);
    expect(r.cpus).toBeGreaterThan(0);
    expect(r.backends.map((b) => b.name)).toEqual([...BACKEND_NAMES]);
    expect(typeof r.native.loaded).toBe('boolean');
    if (!r.native.loaded) expect(r.native.reason).toBeTruthy();
    expect(r.lossWeights.at(-1)!.source).toMatch(/cache/);
  });
});

describe('switching backends in one process', () => {
  skipUnless(loadNativeAddon().loaded, 'native addon not loaded (not built, or NST_NATIVE=0); switching native <-> cpu not testable here')(
    'goes from native to pure JS and back, restoring the JS kernels in between', async () => {
    const { nativeKernelNames } = await import('../../src/backend/native');
    const { selectBackend } = await import('../../src/backend/select');
    expect((await selectBackend('native')).name).toBe('native');
    expect(nativeKernelNames().length).toBeGreaterThan(0);
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(nativeKernelNames()).toEqual([]);
    expect((await selectBackend('native')).name).toBe('native');
    expect(nativeKernelNames().length).toBeGreaterThan(0);
  });
});
