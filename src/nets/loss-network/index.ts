/**
 * The loss network: a frozen ImageNet feature extractor (VGG16/VGG19, or an offline MobileNetV2 fallback) that
 * returns named ReLU activations for perceptual losses.
 *
 *   const net = await loadLossNetwork({ taps: ['relu1_2', 'relu2_2', 'relu3_3'], log: console.error });
 *   const feats = net.extract(images, ['relu2_2']);   // images: NHWC RGB 0..255
 */
import { z } from 'zod';
import { NstError, InputError, UsageError } from '../../errors';
import { weightsCacheDir } from './fetch-weights';
import { loadVggFromFile } from './load-vgg';
import { weightCandidates, WeightCandidate } from './locate';
import { loadMobileNetFallback } from './mobilenet-fallback';
import { checkTaps } from './taps';
import type { LossNetwork } from './types';
import { vggTaps } from './vgg-layout';

export type { LossNetwork, LossNetworkArch, Preprocessing } from './types';
export type { VggArch } from './vgg-layout';
export { vggTaps, vggLayout } from './vgg-layout';
export { preprocess, CAFFE_MEAN_BGR, TORCH_MEAN_RGB, TORCH_STD_RGB } from './preprocess';
export { loadVggFromFile } from './load-vgg';
export { loadMobileNetFallback, MOBILENET_TAP_MAP } from './mobilenet-fallback';
export { weightCandidates, lossWeightSearchOrder, embeddedLossWeights, EMBEDDED_SOURCE } from './locate';
export { KNOWN_WEIGHTS, knownWeightsFor } from './catalog';
export { fetchWeights, listWeights, weightsCacheDir, DEFAULT_SOURCE } from './fetch-weights';
export type { FetchWeightsOptions, WeightsListing, WeightsSource } from './fetch-weights';
export { downloadFile, DownloadError } from './download';

const ALL_TAPS = vggTaps('vgg19');

const LoadOptions = z.object({
  net: z.enum(['vgg16', 'vgg19', 'auto']).default('auto'),
  weights: z.string().min(1).optional(),
  taps: z.array(z.string()).min(1, 'name at least one tap'),
  allowFallback: z.boolean().default(false),
  log: z.custom<(line: string) => void>((v) => typeof v === 'function').optional(),
});
export type LoadLossNetworkOptions = z.input<typeof LoadOptions>;

function parseOptions(opts: LoadLossNetworkOptions): z.output<typeof LoadOptions> {
  const r = LoadOptions.safeParse(opts);
  if (!r.success) throw new UsageError(`loss network options: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const unknown = r.data.taps.filter((t) => !ALL_TAPS.includes(t));
  if (unknown.length) throw new UsageError(`unknown loss-network tap ${unknown.join(', ')}: taps are ${ALL_TAPS.join(', ')}`);
  if (r.data.net === 'vgg16') checkTaps(r.data.taps, vggTaps('vgg16'), 'vgg16');
  return r.data;
}

function notFoundMessage(searched: string[], mentionFallback: boolean): string {
  return (
    `no ImageNet VGG weights found (searched: ${searched.join('; ') || 'nothing'}). ` +
    `Run \`nst weights fetch vgg16\`, or copy vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (or a VGG .pth / tfjs model) into the cache folder ${weightsCacheDir()}, ` +
    `or pass --loss-weights PATH${mentionFallback ? ' (or allow the lower-quality MobileNetV2 fallback)' : ''}`
  );
}

/**
 * Finds and loads the loss network. Lookup order: `weights` (--loss-weights) → NST_LOSS_WEIGHTS → the cache folder
 * (NST_HOME/weights) → the embedded partial VGG19 (assets/) → the MobileNetV2 fallback (only with allowFallback, and
 * in practice only when the package's assets are missing). A path the user
 * named must work; found-by-search files that cannot serve the taps are skipped with a log line.
 */
export async function loadLossNetwork(options: LoadLossNetworkOptions): Promise<LossNetwork> {
  const opts = parseOptions(options);
  const log = opts.log ?? (() => {});
  const candidates: WeightCandidate[] = weightCandidates(opts.weights, opts.net);
  const searched: string[] = [];
  let lacksTaps: NstError | undefined;
  for (const c of candidates) {
    searched.push(`${c.source}: ${c.file}`);
    let net: LossNetwork | undefined;
    try {
      net = await loadVggFromFile(c.file, opts.net);
    } catch (e) {
      if (c.explicit || !(e instanceof NstError)) throw e;
      // A file found by searching that does not load (wrong arch, damaged): say so, try the next one.
      log(`nst: loss weights ${c.file} (${c.source}) skipped: ${e.message}`);
      continue;
    }
    try {
      checkTaps(opts.taps, net.availableTaps, net.description);
    } catch (e) {
      net.dispose();
      if (c.explicit || !(e instanceof NstError)) throw e;
      log(`nst: loss weights ${c.file} (${c.source}) skipped: ${e.message}`);
      lacksTaps ??= e;
      continue;
    }
    log(`nst: loss network ${net.description} [${c.source}]`);
    return net;
  }
  // VGG weights were found but lack a tap the user named: falling back to MobileNetV2 would quietly trade quality
  // for that tap, so make it a decision (name other taps, fetch full weights, or ask for the fallback).
  if (lacksTaps) {
    throw new UsageError(`${lacksTaps.message}. Name taps it has, run \`nst weights fetch vgg16\` for the full network, or pass --loss-net mobilenetv2 for the lower-quality fallback`);
  }
  if (!opts.allowFallback) throw new InputError(notFoundMessage(searched, true));
  log(`nst: warning: ${notFoundMessage(searched, false)}`);
  log('nst: warning: using the MobileNetV2 fallback loss network (from the nsfwjs package): style quality is noticeably lower than with VGG');
  const fallback = await loadMobileNetFallback();
  checkTaps(opts.taps, fallback.availableTaps, fallback.description);
  log(`nst: loss network ${fallback.description}`);
  return fallback;
}
