/**
 * `nst synthesize` as a library: texture synthesis from noise (Gatys, Ecker & Bethge 2015; the task Ulyanov et al.'s
 * texture networks learn to do feed-forward), by the per-image optimizer of `nst optimize` with the style loss only.
 *
 *   const r = await synthesizeTexture({ style: 'bricks.jpg', size: '512x256', out: 'bricks-texture.png', seed: 3 });
 *
 * Why an optimization and not a trained noise-input texture net: the result is the same Gram-matching texture, with no
 * training run (minutes on a CPU, not hours) and no second kind of checkpoint; the optimizer, loss network, taps and
 * loss file are `nst optimize`'s (src/optimize/run.ts), started from seeded noise on a blank canvas of WxH whose
 * content term has weight 0. docs/optimize.md, "Texture synthesis".
 */
import { z } from 'zod';
import { UsageError } from '../errors';
import { imageFormatFromPath } from '../image/image-io';
import { lossOptionsShape } from '../losses/options';
import { flagOf, parseOrUsageError } from '../util/flag-names';
import { DEFAULT_OPTIMIZER, OPTIMIZERS } from './config';
import { optimizeImage, OptimizeOptions, OptimizeResult } from './run';

const SIDE = { min: 16, max: 4096 };
const SIZE_FORMAT = `must be WxH in px, each side ${SIDE.min}–${SIDE.max} (e.g. 512x512)`;

/** "512x256" → { width: 512, height: 256 }, or undefined when it is not that. */
export function parseSize(text: string): { width: number; height: number } | undefined {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (!m) return undefined;
  const [width, height] = [Number(m[1]), Number(m[2])];
  const ok = (n: number) => n >= SIDE.min && n <= SIDE.max;
  return ok(width) && ok(height) ? { width, height } : undefined;
}

const { contentWeight, contentLayer, ...lossOptions } = lossOptionsShape({ weights: { content: 0, style: 5, tv: 1 }, styleSizeFrom: 'size (its longest side)' });
void contentWeight;
void contentLayer;

export const SynthesizeConfigSchema = z
  .object({
    style: z.string().min(1).describe('the texture (or painting) whose style statistics the result matches'),
    size: z.string().refine((t) => parseSize(t) !== undefined, { error: SIZE_FORMAT }).describe('size of the result, WxH px'),
    out: z.string().min(1).default('texture.png').describe('output image (.png/.jpg/.webp); the final losses go to <out>.json'),
    seed: z.number().int().nonnegative().default(1).describe('seed of the starting noise (same seed, same texture)'),
    steps: z.number().int().min(1).max(100000).default(200).describe('optimizer iterations'),
    optimizer: z.enum(OPTIMIZERS).default(DEFAULT_OPTIMIZER).describe('lbfgs (default) or adam, as nst optimize'),
    ...lossOptions,
  })
  .strict();

export type SynthesizeConfig = z.infer<typeof SynthesizeConfigSchema>;
export type SynthesizeConfigInput = z.input<typeof SynthesizeConfigSchema>;

export function parseSynthesizeConfig(input: unknown): SynthesizeConfig {
  return parseOrUsageError(SynthesizeConfigSchema, input, 'nst synthesize', flagOf);
}

/** A flat mid-grey canvas: only its size matters (the content term has weight 0; the start is noise). */
function canvas(width: number, height: number) {
  return { width, height, rgb: new Float32Array(width * height * 3).fill(127.5) };
}

export async function synthesizeTexture(input: SynthesizeConfigInput, options: Omit<OptimizeOptions, 'contentPixels'> = {}): Promise<OptimizeResult> {
  const config = parseSynthesizeConfig(input);
  const size = parseSize(config.size);
  if (!size) throw new UsageError(`--size ${config.size}: ${SIZE_FORMAT}`);
  if (!imageFormatFromPath(config.out)) throw new UsageError(`--out ${config.out}: unknown image extension: name the output .png, .jpg or .webp`);
  const { style, out, seed, steps, optimizer, size: _size, ...losses } = config;
  void _size;
  return optimizeImage(
    {
      ...losses,
      content: `(blank ${config.size} canvas)`,
      style,
      output: out,
      steps,
      optimizer,
      seed,
      size: Math.max(size.width, size.height),
      init: 'noise',
      contentWeight: 0,
    },
    { ...options, contentPixels: canvas(size.width, size.height) },
  );
}
