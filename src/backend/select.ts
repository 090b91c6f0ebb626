/**
 * Chooses the tfjs backend once per process. Order when nothing is forced: tfjs-node-gpu (only with a CUDA device),
 * tfjs-node, our native oneDNN kernels on the CPU backend, then the pure-JS CPU backend.
 */
import { BackendError, UsageError } from '../errors';
import { tf } from './tf';
import { loadNativeAddon } from './native/loader';
import { registerNativeKernels, unregisterNativeKernels } from './native';

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'native', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why it is not available (with the fix), or a detail about it when it is. */
  detail: string;
}

export interface SelectedBackend {
  name: BackendName;
  /** tfjs' own name of the engine backend (`tensorflow` or `cpu`). */
  tfBackend: string;
  detail: string;
}

function tryRequire(mod: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ok: true, value: require(mod) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && msg.includes(mod);
    return { ok: false, reason: missing ? `${mod} is not installed (optional dependency)` : `${mod} failed to load: ${msg}` };
  }
}

/** Probes one backend without switching to it (requiring a node binding registers it but does not activate it). */
export function probeBackend(name: BackendName): BackendProbe {
  switch (name) {
    case 'tfjs-node-gpu': {
      const r = tryRequire('@tensorflow/tfjs-node-gpu');
      if (!r.ok) return { name, available: false, detail: r.reason };
      const gpu = tensorflowUsesGpu();
      return gpu
        ? { name, available: true, detail: 'CUDA device found' }
        : { name, available: false, detail: 'loaded, but libtensorflow sees no CUDA device' };
    }
    case 'tfjs-node': {
      const r = tryRequire('@tensorflow/tfjs-node');
      return r.ok ? { name, available: true, detail: 'libtensorflow CPU' } : { name, available: false, detail: r.reason };
    }
    case 'native': {
      const s = loadNativeAddon();
      return s.loaded
        ? { name, available: true, detail: `oneDNN addon ${s.path}` }
        : { name, available: false, detail: s.reason ?? 'unavailable' };
    }
    case 'cpu':
      return { name, available: true, detail: 'pure-JS tfjs CPU backend (slow)' };
  }
}

function tensorflowUsesGpu(): boolean {
  try {
    if (!tf.findBackend('tensorflow')) return false;
    // tfjs-node's binding answers whether libtensorflow placed ops on a GPU.
    const backend = tf.findBackend('tensorflow') as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
    return Boolean(backend.binding?.isUsingGpuDevice?.());
  } catch {
    return false;
  }
}

let selected: SelectedBackend | undefined;

export function selectedBackend(): SelectedBackend | undefined {
  return selected;
}

/** Reads a forced backend from an option or NST_BACKEND; validates it. */
export function requestedBackend(option?: string): BackendName | undefined {
  const raw = option ?? process.env.NST_BACKEND;
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(raw)) {
    throw new UsageError(`unknown backend '${raw}': choose one of ${BACKEND_NAMES.join(', ')} (or auto)`);
  }
  return raw as BackendName;
}

/**
 * Activates a backend: the forced one (an error if it cannot load) or the first that works.
 * `log` receives the one start-up line naming the choice (the CLI sends it to stderr).
 */
export async function selectBackend(option?: string, log: (line: string) => void = () => {}): Promise<SelectedBackend> {
  const forced = requestedBackend(option);
  if (selected && (!forced || forced === selected.name)) return selected;
  // Switching within one process (the library used from tests or an app): tfjs moves tensors between engine backends
  // itself; native and cpu share tfjs' CPU backend, so leaving native means putting the JS kernels back.
  if (selected?.name === 'native') unregisterNativeKernels();
  selected = undefined;
  const order: BackendName[] = forced ? [forced] : [...BACKEND_NAMES];
  const reasons: string[] = [];
  for (const name of order) {
    const probe = probeBackend(name);
    if (!probe.available) {
      reasons.push(`${name}: ${probe.detail}`);
      continue;
    }
    const tfBackend = name === 'tfjs-node-gpu' || name === 'tfjs-node' ? 'tensorflow' : 'cpu';
    if (name === 'native') registerNativeKernels();
    await tf.setBackend(tfBackend);
    await tf.ready();
    silenceNodeBanner();
    selected = { name, tfBackend, detail: probe.detail };
    log(`nst: backend ${name} (${probe.detail})${reasons.length && !forced ? `; skipped ${reasons.join('; ')}` : ''}`);
    return selected;
  }
  throw new BackendError(`backend ${forced} cannot be used: ${reasons.join('; ')}`);
}

/** The pure-JS CPU backend prints a multi-line "install the node backend" banner on first use; we say it once ourselves. */
function silenceNodeBanner(): void {
  const b = tf.backend() as unknown as { firstUse?: boolean };
  if (typeof b.firstUse === 'boolean') b.firstUse = false;
}
