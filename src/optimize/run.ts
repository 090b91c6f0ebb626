/**
 * `nst optimize` as a library: optimize one image's pixels against the perceptual loss (Gatys et al. 2016), with the
 * loss network, taps and loss functions of training, and write the image plus its final losses.
 *
 *   const r = await optimizeImage({ content: 'photo.jpg', style: 'udnie.jpg', output: 'out.png', steps: 200 });
 *   r.losses.total; r.history[99].total; r.lossesFile  // 'out.png.json'
 */
import * as path from 'path';
import { NstError } from '../errors';
import { decodeImage, encodeImage, RgbImage } from '../image/image-io';
import { preserveColor } from '../image/color';
import type { LossNetwork } from '../nets/loss-network/types';
import { loadLossNetworkFor } from '../losses/loss-network';
import { resolveTaps } from '../losses/taps';
import { Adam } from './adam';
import { learningRateOf, OptimizeConfig, OptimizeConfigInput, parseOptimizeConfig } from './config';
import { clampPixels, initialPixels, PIXEL_BOUNDS } from './init';
import { Lbfgs } from './lbfgs';
import { LossTerms, PerceptualObjective } from './objective';
import { lossesFileOf, previewFileOf, writeLossesFile } from './output';
import { yieldToEventLoop } from '../util/yield';

/** The loss went to NaN/Inf: the step was too large for this loss scale. */
export class OptimizationDivergedError extends NstError {}

export interface StepRecord extends LossTerms {
  step: number;
  /** Loss-network evaluations (forward + backward) spent so far, including the initial one. */
  evaluations: number;
  /** Wall time since the first evaluation started. */
  ms: number;
}

export interface OptimizeHooks {
  /** Human-readable lines (the CLI sends them to stderr). */
  log?: (line: string) => void;
  onStep?: (record: StepRecord, totalSteps: number) => void;
  onPreview?: (file: string, step: number) => void;
  /** Polled after every step; true = stop now and write the current image (SIGINT). */
  shouldStop?: () => boolean;
}

export interface OptimizeOptions {
  hooks?: OptimizeHooks;
  /** Use this loss network instead of finding one (tests; several runs sharing one). Not disposed by optimizeImage. */
  lossNetwork?: LossNetwork;
  /** The content as pixels instead of config.content's file (nst synthesize: a blank canvas of the wanted size). */
  contentPixels?: RgbImage;
}

export interface OptimizeResult {
  config: OptimizeConfig;
  output: string;
  lossesFile: string;
  /** The losses of the image as written (before --preserve-color and 8-bit rounding). */
  losses: LossTerms;
  /** Losses at the start point (step 0). */
  initialLosses: LossTerms;
  steps: number;
  evaluations: number;
  seconds: number;
  /** True when L-BFGS found no further decrease before the last step. */
  converged: boolean;
  stoppedEarly: boolean;
  history: StepRecord[];
  lossNetwork: string;
  styleLayers: string[];
  contentLayer: string;
  notes: string[];
  width: number;
  height: number;
}

/** One iteration at a time over a point `x`, whichever algorithm. */
interface Stepper {
  readonly x: Float64Array;
  evaluations: number;
  start(): Promise<number>;
  step(): Promise<{ moved?: boolean }>;
}

function makeStepper(config: OptimizeConfig, x0: Float64Array, evaluate: (x: Float64Array) => Promise<{ value: number; gradient: Float32Array }>): Stepper {
  const lr = learningRateOf(config);
  if (config.optimizer === 'adam') return new Adam(x0, evaluate, { lr, project: clampPixels });
  return new Lbfgs(x0, evaluate, { history: 10, initialStep: lr, bounds: PIXEL_BOUNDS });
}

async function loadImages(config: OptimizeConfig, contentPixels?: RgbImage): Promise<{ content: RgbImage; style: RgbImage }> {
  const content = contentPixels ?? (await decodeImage(config.content, { maxSize: config.size }));
  const styleSize = config.styleSize ?? config.size;
  // As nst train sizes its style target: the longest side at styleSize (enlarging a small style image if need be).
  const style = await decodeImage(config.style, { resize: { width: styleSize, height: styleSize, fit: 'inside' } });
  return { content, style };
}

async function loadLossNet(config: OptimizeConfig, log: (line: string) => void): Promise<LossNetwork> {
  return loadLossNetworkFor(config, log);
}

function toImage(x: Float64Array, width: number, height: number): RgbImage {
  return { width, height, rgb: Float32Array.from(x) };
}

export async function optimizeImage(input: OptimizeConfigInput, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const config = parseOptimizeConfig(input);
  const hooks = options.hooks ?? {};
  const log = hooks.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // Decode first: a missing or broken file fails in milliseconds, not after loading the loss network.
  const { content, style } = await loadImages(config, options.contentPixels);
  const lossNet = options.lossNetwork ?? (await loadLossNet(config, log));
  let objective: PerceptualObjective | undefined;
  try {
    const taps = resolveTaps(lossNet.availableTaps, { styleLayers: config.styleLayers, contentLayer: config.contentLayer }, lossNet.description);
    for (const n of taps.notes) log(`nst: note: ${n}`);
    objective = new PerceptualObjective({
      lossNet,
      content,
      style,
      styleLayers: taps.styleLayers,
      contentLayer: taps.contentLayer,
      weights: { content: config.contentWeight, style: config.styleWeight, tv: config.tvWeight },
      styleLayerWeights: config.styleLayerWeights,
      lossScale: config.lossScale,
      stylePyramid: config.stylePyramid,
    });
    const obj = objective;
    const { width, height } = content;

    // The terms of the last evaluation: for Adam always the current point; for L-BFGS the accepted trial point,
    // because its line search returns right after evaluating the point it accepts.
    let lastTerms: LossTerms | undefined;
    const evaluate = async (x: Float64Array) => {
      const e = await obj.evaluate(x);
      lastTerms = e.terms;
      return e;
    };

    const t0 = performance.now();
    const stepper = makeStepper(config, initialPixels(content, config.init, config.seed), evaluate);
    await stepper.start();
    const initialLosses = lastTerms!;
    let current = initialLosses;
    const history: StepRecord[] = [];
    let converged = false;
    let stoppedEarly = false;
    for (let step = 1; step <= config.steps; step++) {
      const r = await stepper.step();
      if (r.moved === false) {
        converged = true;
        log(`nst: converged after ${step - 1} steps: no step along the search direction lowers the loss any further`);
        break;
      }
      current = lastTerms!;
      if (!Number.isFinite(current.total)) {
        throw new OptimizationDivergedError(
          `the loss became ${current.total} at step ${step} (${config.optimizer}, lr ${learningRateOf(config)}): lower --lr or --style-weight`,
        );
      }
      const record: StepRecord = { step, evaluations: stepper.evaluations, ms: performance.now() - t0, ...current };
      history.push(record);
      hooks.onStep?.(record, config.steps);
      if (config.previewEvery > 0 && step % config.previewEvery === 0 && step < config.steps) {
        const preview = previewFileOf(config.output, step);
        await encodeImage(toImage(stepper.x, width, height), preview);
        hooks.onPreview?.(preview, step);
      }
      // A step's awaits resolve as microtasks, so signal handlers (macrotasks) would never run inside this loop:
      // yield to the event loop once a step, or Ctrl-C could not reach shouldStop.
      await yieldToEventLoop();
      if (step < config.steps && hooks.shouldStop?.()) {
        stoppedEarly = true;
        log(`nst: stopped at step ${step}; writing the current image`);
        break;
      }
    }

    // Both optimizers keep every iterate inside 0..255, so `current` is the loss of exactly the image written
    // (before --preserve-color and 8-bit rounding).
    const seconds = (performance.now() - t0) / 1000;
    let rgb: Float32Array = Float32Array.from(stepper.x);
    if (config.preserveColor) rgb = preserveColor(rgb, content.rgb);
    await encodeImage({ width, height, rgb }, config.output);

    const result: OptimizeResult = {
      config,
      output: path.resolve(config.output),
      lossesFile: path.resolve(lossesFileOf(config.output)),
      losses: current,
      initialLosses,
      steps: history.length,
      evaluations: stepper.evaluations,
      seconds,
      converged,
      stoppedEarly,
      history,
      lossNetwork: lossNet.description,
      styleLayers: taps.styleLayers,
      contentLayer: taps.contentLayer,
      notes: taps.notes,
      width,
      height,
    };
    await writeLossesFile(result);
    return result;
  } finally {
    objective?.dispose();
    if (!options.lossNetwork) lossNet.dispose();
  }
}
