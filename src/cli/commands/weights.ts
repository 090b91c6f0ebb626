/**
 * nst weights fetch vgg16|vgg19   — download the publisher's ImageNet VGG weights into the cache (resumable, verified)
 * nst weights list                — where loss-network weights are looked up, and what is found there
 */
import * as cliProgress from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { fetchWeights, listWeights, WeightsListing } from '../../nets/loss-network/fetch-weights';
import type { VggArch } from '../../nets/loss-network/vgg-layout';
import { handler } from '../run';

interface FetchArgs {
  net: VggArch;
  source: 'torchvision' | 'keras';
  url?: string;
}

function progressBar(): { update: (n: number, total: number | undefined) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(n, total) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: '  {bar} {percentage}% | {mb} MB', stream: process.stderr, hideCursor: true, noTTYOutput: false, etaBuffer: 50 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total ?? n, n, { mb: (n / 1e6).toFixed(1) });
      }
      if (total !== undefined && bar.getTotal() !== total) bar.setTotal(total);
      bar.update(n, { mb: (n / 1e6).toFixed(1) });
    },
    stop() {
      bar?.stop();
    },
  };
}

const fetchCommand: CommandModule<object, FetchArgs> = {
  command: 'fetch <net>',
  describe: "download ImageNet VGG weights from the publisher into the cache folder (NST_HOME/weights); resumes if interrupted",
  builder: (y: Argv) =>
    y
      .positional('net', { choices: ['vgg16', 'vgg19'] as const, demandOption: true, describe: 'which network' })
      .option('source', {
        choices: ['keras', 'torchvision'] as const,
        default: 'keras' as const,
        describe: "Keras notop .h5 (~56/77 MB, the publisher's MD5 checked) or torchvision .pth (~530 MB with an unused classifier, SHA-256 prefix checked)",
      })
      .option('url', { type: 'string', describe: 'base URL to fetch the file name from instead of the publisher (mirror); also NST_WEIGHTS_BASE_URL' })
      .epilogue('Offline? Copy the file named in the error into the cache folder, or pass --loss-weights PATH when training.') as unknown as Argv<FetchArgs>,
  handler: handler(async (args: FetchArgs) => {
    const bar = progressBar();
    try {
      const r = await fetchWeights(args.net, {
        source: args.source,
        baseUrl: args.url,
        onProgress: bar.update,
        log: (l) => process.stderr.write(`nst: ${l}\n`),
      });
      bar.stop();
      process.stdout.write(`${r.downloaded ? 'downloaded' : 'already present'}: ${r.file}\n`);
    } finally {
      bar.stop();
    }
  }),
};

export function formatListing(l: WeightsListing): string {
  const lines = ['loss-network weights are looked up in this order:'];
  l.searched.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.source.padEnd(24)} ${s.path}${s.exists ? '' : '  (absent)'}`);
    for (const f of s.files) lines.push(`       found ${f}`);
  });
  lines.push(`  ${l.searched.length + 1}. MobileNetV2 fallback (nsfwjs package), only when the caller allows it — lower quality`);
  lines.push('', 'fetchable with nst weights fetch <net> [--source]:');
  for (const k of l.catalog) {
    lines.push(`  ${k.arch} ${k.source.padEnd(12)} ${k.fileName.padEnd(52)} ~${k.sizeMB} MB  ${k.cached ? 'cached' : 'not cached'}`);
  }
  return lines.join('\n');
}

const listCommand: CommandModule<object, { 'loss-weights'?: string; json?: boolean }> = {
  command: 'list',
  describe: 'show where loss-network weights are looked up and which files are found',
  builder: (y: Argv) =>
    y
      .option('loss-weights', { type: 'string', describe: 'also show this path, as training would use it first' })
      .option('json', { type: 'boolean', describe: 'print as JSON' }) as unknown as Argv<{ 'loss-weights'?: string; json?: boolean }>,
  handler: handler(async (args) => {
    const l = listWeights(args['loss-weights']);
    process.stdout.write((args.json ? JSON.stringify(l, null, 2) : formatListing(l)) + '\n');
  }),
};

export const weightsCommand: CommandModule = {
  command: 'weights <action>',
  describe: 'download and list loss-network (VGG) weights',
  builder: (y: Argv) => y.command(fetchCommand).command(listCommand).demandCommand(1, 'Name an action: nst weights fetch|list'),
  handler: () => {},
};
