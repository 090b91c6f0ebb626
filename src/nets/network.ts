/**
 * The style networks nst trains and runs, by architecture: Johnson et al.'s transformer (transformer.ts; its config has
 * no `arch` field, so every checkpoint written before texture nets existed is one) and Ulyanov et al.'s multi-scale
 * texture network (texture-net.ts, `arch: 'texture-net'`). One place that dispatches on the architecture, so callers
 * (checkpoints, training, inference, export) handle "a network config" without knowing the list.
 */
import { z } from 'zod';
import { tf } from '../backend/tf';
import {
  buildTextureNet,
  parseTextureNetConfig,
  TEXTURE_NET_ARCH,
  TextureNetConfig,
  textureNetMinSide,
  textureNetStride,
  textureNetWeightSpecs,
} from './texture-net';
import { buildTransformer, parseTransformerConfig, TransformerConfig, transformerWeightSpecs } from './transformer';

export const ARCHS = ['transformer', TEXTURE_NET_ARCH] as const;
export type Arch = (typeof ARCHS)[number];

export type NetworkConfig = TransformerConfig | TextureNetConfig;

/** nst.json's `network`: a texture-net config (it names its arch) or a transformer config (old files included). */
export const NetworkConfigSchema = z.union([TextureNetConfig, TransformerConfig]);

export function archOf(config: unknown): Arch {
  return (config as { arch?: unknown } | null)?.arch === TEXTURE_NET_ARCH ? TEXTURE_NET_ARCH : 'transformer';
}

export function isTextureNetConfig(config: NetworkConfig): config is TextureNetConfig {
  return archOf(config) === TEXTURE_NET_ARCH;
}

/** Validates either kind once, at the boundary (`arch: 'transformer'` is accepted and dropped). */
export function parseNetworkConfig(input: unknown, where = 'network config'): NetworkConfig {
  if (archOf(input) === TEXTURE_NET_ARCH) return parseTextureNetConfig(input, where);
  const { arch, ...rest } = (input ?? {}) as Record<string, unknown>;
  void arch;
  return parseTransformerConfig(rest, where);
}

export function buildNetwork(config: NetworkConfig, options: { seed?: number } = {}): tf.LayersModel {
  return isTextureNetConfig(config) ? buildTextureNet(config, options) : buildTransformer(config, options);
}

export function networkWeightSpecs(config: NetworkConfig): Array<{ name: string; shape: number[] }> {
  return isTextureNetConfig(config) ? textureNetWeightSpecs(config) : transformerWeightSpecs(config);
}

/** What input sizes the network takes: sides multiples of `stride`, at least `minSide` (src/infer pads to them). */
export interface NetworkGeometry {
  stride: number;
  minSide: number;
}

/** The transformer: two stride-2 convs; its 1/4-resolution residual blocks pad by 1 (8 px at the input). */
export const TRANSFORMER_GEOMETRY: NetworkGeometry = Object.freeze({ stride: 4, minSide: 8 });

export function networkGeometry(config: NetworkConfig): NetworkGeometry {
  if (!isTextureNetConfig(config)) return TRANSFORMER_GEOMETRY;
  // At least the transformer's 8 px too: src/infer's tiles and pads assume that much.
  return { stride: Math.max(4, textureNetStride(config)), minSide: Math.max(8, textureNetMinSide(config)) };
}

/** Styles the network serves: a transformer's conditional norms may hold several; a texture net serves one. */
export function styleCountOfConfig(config: NetworkConfig): number {
  return isTextureNetConfig(config) ? 1 : config.styles;
}
