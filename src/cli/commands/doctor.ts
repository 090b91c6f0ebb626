import * as os from 'os';
import type { CommandModule } from 'yargs';
import { tf } from '../../backend/tf';
import { BACKEND_NAMES, BackendProbe, probeBackend } from '../../backend/select';
import { loadNativeAddon } from '../../backend/native/loader';
import { lossWeightsSearchPaths } from '../../paths';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export interface DoctorReport {
  node: string;
  tfjs: string;
  platform: string;
  cpus: number;
  backends: BackendProbe[];
  native: { loaded: boolean; path?: string; reason?: string; version?: string };
  lossWeights: Array<{ source: string; path: string }>;
}

export function collectDoctorReport(): DoctorReport {
  const native = loadNativeAddon();
  const version = native.addon && typeof native.addon.version === 'function' ? String(native.addon.version()) : undefined;
  return {
    node: process.version,
    tfjs: tf.version.tfjs,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    backends: BACKEND_NAMES.map(probeBackend),
    native: { loaded: native.loaded, path: native.path, reason: native.reason, version },
    lossWeights: lossWeightsSearchPaths(),
  };
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines = [
    `node        ${r.node}`,
    `tfjs        ${r.tfjs}`,
    `platform    ${r.platform}, ${r.cpus} CPUs`,
    'backends (tried in this order):',
    ...r.backends.map((b) => `  ${b.available ? 'yes' : 'no '}  ${b.name.padEnd(14)} ${b.detail}`),
    `native addon ${r.native.loaded ? `loaded${r.native.version ? ` (${r.native.version})` : ''}: ${r.native.path}` : `not loaded: ${r.native.reason}`}`,
    'loss-network weights are looked up in:',
    ...r.lossWeights.map((w) => `  ${w.source.padEnd(18)} ${w.path}`),
  ];
  return lines.join('\n');
}

export const doctorCommand: CommandModule<object, { json?: boolean } & BackendArgs> = {
  command: 'doctor',
  describe: 'show versions, which compute backends load here (and why not), and where weights are looked up',
  builder: (y) =>
    withBackendOption(y)
      .option('json', { type: 'boolean', describe: 'print the report as JSON' })
      .epilogue('With --backend (or NST_BACKEND), doctor also activates that backend and fails if it cannot load.'),
  handler: handler(async (args) => {
    if (args.backend || process.env.NST_BACKEND) await startBackend(args);
    const report = collectDoctorReport();
    process.stdout.write((args.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report)) + '\n');
  }),
};
