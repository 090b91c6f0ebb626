/**
 * The loss network a run asks for, by the loss options every trainer and `nst optimize` share (which network, which
 * weights, which taps). With default taps we ask the loader only for the shallowest default, so that a truncated VGG
 * still qualifies; the taps are then resolved against what it has (taps.ts). Explicit taps are passed through, so a
 * network that lacks one is refused by the loader with its own clear message.
 */
import { loadLossNetwork, loadMobileNetFallback } from '../nets/loss-network';
import type { LossNetwork } from '../nets/loss-network/types';
import { DEFAULT_STYLE_LAYERS } from './taps';

export const LOSS_NETS = ['auto', 'vgg16', 'vgg19', 'mobilenetv2'] as const;
export type LossNetName = (typeof LOSS_NETS)[number];

/** The part of a run's options that picks the loss network and its taps. */
export interface LossNetworkSelection {
  lossNet: LossNetName;
  lossWeights?: string;
  styleLayers?: string[];
  contentLayer?: string;
}

export async function loadLossNetworkFor(selection: LossNetworkSelection, log: (line: string) => void): Promise<LossNetwork> {
  if (selection.lossNet === 'mobilenetv2') {
    log('nst: warning: using the MobileNetV2 fallback loss network: style quality is noticeably lower than with VGG');
    return loadMobileNetFallback();
  }
  const explicit = [...(selection.styleLayers ?? []), ...(selection.contentLayer ? [selection.contentLayer] : [])];
  return loadLossNetwork({
    net: selection.lossNet,
    weights: selection.lossWeights,
    taps: explicit.length ? [...new Set(explicit)] : [DEFAULT_STYLE_LAYERS[0]],
    allowFallback: selection.lossNet === 'auto',
    log,
  });
}
