/**
 * Inference through a whole-network native plan (src/backend/native/network-plan.ts) for feed-forward image
 * LayersModels made of the layers our networks use: reflection pads, convs (valid, or 'same' at stride 1), instance
 * norms, ReLUs, residual adds and nearest ×2 upsampling, ending in a conv; whatever follows the last conv (an output
 * norm, the output head) runs as tfjs layers on the plan's output.
 *
 *   plannedForward(model) -> (x) => y     the plan when it applies and the native backend is on, else model.predict
 *   networkPlanOps(model) -> { ops, tail, normOps } | string   the plan's description, or why the model has none
 *   plannedForwardWithStats(model, stats) -> (x) => y | undefined   the plan with its norms' statistics given
 *   networkSegmentPlan(model, from, to) -> SegmentPlan | undefined     a plan for layers from+1..to (statistics given)
 *   plannedAffineForward(model) -> (x, { scale, shift }) => y | undefined   the plan after a per-channel x·scale + shift
 *
 * The plan holds a copy of the weights (reordered to oneDNN's layouts). It is rebuilt when any weight changes:
 * tfjs' Variable.assign (optimizer steps, setWeights, loading) gives the variable new data, so the identity of each
 * variable's data is the cache key.
 */
import { tf } from '../backend/tf';
import { createNetworkPlan, FrozenNormStats, networkPlanAddon, NetworkPlan, PlanOp, Shape4 } from '../backend/native/network-plan';
import { InstanceNorm, ReflectionPad2D } from './layers';

type Layer = tf.layers.Layer;

export interface NetworkPlanOps {
  ops: PlanOp[];
  /** Layers after the last conv, applied with tfjs to the plan's output (inputs: the net's input and/or the chain). */
  tail: Layer[];
  /** The op index of each instance-norm layer inside the plan. */
  normOps: Map<Layer, number>;
}

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
const inbound = (layer: Layer): Layer[] => (layer.inboundNodes[0]?.inboundLayers ?? []) as Layer[];
const pairOf = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

/** The ops of a plan for `model`, or a sentence saying why it cannot have one. */
export function networkPlanOps(model: tf.LayersModel): NetworkPlanOps | string {
  const layers = model.layers;
  const lastConv = layers.map((l) => l.getClassName()).lastIndexOf('Conv2D');
  if (lastConv < 0) return 'no Conv2D layer';
  if (layers[0].getClassName() !== 'InputLayer') return `${layers[0].name}: not an input layer`;
  const body = describeChain(layers, 0, lastConv);
  if (typeof body === 'string') return body;
  const tail = layers.slice(lastConv + 1);
  for (const layer of tail) if (inbound(layer).some((l) => l !== layers[0] && !tail.includes(l) && l !== layers[lastConv])) return `${layer.name}: tail input`;
  return { ...body, tail };
}

const PLAN_LAYER_CLASSES = new Set(['Conv2D', 'UpSampling2D', 'Add', 'ReLU']);
const hasPlanOp = (layer: Layer) => PLAN_LAYER_CLASSES.has(layer.getClassName()) || layer instanceof InstanceNorm || layer instanceof ReflectionPad2D;

/**
 * The ops of a plan for part of `model`: layers from+1 … to (indices into model.layers) fed with layer `from`'s
 * output, e.g. a residual block's sum up to the next norm's input (the exact tile statistics' passes). Layers after
 * the last one a plan op describes (an output head) are the tail; it may read the network input only when the
 * segment starts there.
 */
export function networkSegmentOps(model: tf.LayersModel, from: number, to: number): NetworkPlanOps | string {
  const layers = model.layers;
  let end = to;
  while (end > from && !hasPlanOp(layers[end])) end--;
  if (end === from) return 'no layer a plan op describes';
  const body = describeChain(layers, from, end);
  if (typeof body === 'string') return body;
  const tail = layers.slice(end + 1, to + 1);
  const readable = (l: Layer) => tail.includes(l) || l === layers[end] || (from === 0 && l === layers[0]);
  for (const layer of tail) if (!inbound(layer).every(readable)) return `${layer.name}: tail input`;
  return { ...body, tail };
}

/** Plan ops for layers from+1 … to of a chain fed with layer `from`'s output. */
function describeChain(layers: Layer[], from: number, to: number): Omit<NetworkPlanOps, 'tail'> | string {
  const ops: PlanOp[] = [];
  const opAfter = new Map<string, number>([[layers[from].name, 0]]); // layer name -> number of ops emitted once it ran
  const marks: number[] = [];
  const normOpOf = new Map<Layer, PlanOp>();
  let previous: Layer = layers[from];
  let reflectPad = 0;
  for (let i = from + 1; i <= to; i++) {
    const layer = layers[i];
    const cls = layer.getClassName();
    const ins = inbound(layer);
    if (cls === 'InputLayer') return `${layer.name}: a second input`;
    if (cls !== 'Add' && (ins.length !== 1 || ins[0] !== previous)) return `${layer.name}: not a chain`;
    const lastOp = ops[ops.length - 1];
    if (layer instanceof ReflectionPad2D) {
      reflectPad = layer.padding;
    } else if (cls === 'Conv2D') {
      const c = layer.getConfig() as Record<string, unknown>;
      const [kh, kw] = pairOf(c.kernelSize);
      const [sh, sw] = pairOf(c.strides);
      const [dh, dw] = pairOf(c.dilationRate ?? 1);
      const activation = (c.activation as string | undefined) ?? 'linear';
      if (kh !== kw || sh !== sw || dh !== 1 || dw !== 1 || (c.dataFormat ?? 'channelsLast') !== 'channelsLast') return `${layer.name}: unsupported conv`;
      if (activation !== 'linear' && activation !== 'relu') return `${layer.name}: activation ${activation}`;
      if (kh % 2 !== 1) return `${layer.name}: even kernel`;
      let pad = 0;
      let reflect = false;
      if (reflectPad > 0) {
        if (c.padding !== 'valid' || reflectPad !== (kh - 1) / 2) return `${layer.name}: padding other than (k - 1) / 2`;
        pad = reflectPad;
        reflect = true;
      } else if (c.padding === 'same') {
        if (sh !== 1) return `${layer.name}: 'same' padding with a stride`;
        pad = (kh - 1) / 2;
      }
      reflectPad = 0;
      const [kernel, bias] = layer.getWeights();
      ops.push({
        kind: 'conv',
        kernel: kh,
        stride: sh,
        pad,
        reflect,
        inChannels: kernel.shape[2] as number,
        outChannels: kernel.shape[3] as number,
        weights: values(kernel),
        bias: bias ? values(bias) : null,
        relu: activation === 'relu',
      });
    } else if (layer instanceof InstanceNorm) {
      // First in a segment: the plan converts its input to the blocked layout for it.
      if ((ops.length > 0 && lastOp?.kind !== 'conv') || reflectPad) return `${layer.name}: a norm not after a conv`;
      const [gamma, beta] = layer.getWeights();
      ops.push({ kind: 'norm', gamma: values(gamma), beta: values(beta), epsilon: layer.epsilon, relu: false, addMarked: false });
      normOpOf.set(layer, ops[ops.length - 1]);
    } else if (cls === 'ReLU' && (layer.getConfig() as { maxValue?: number | null }).maxValue == null) {
      if (lastOp?.kind === 'norm' && !lastOp.addMarked && !lastOp.relu) lastOp.relu = true;
      else if (lastOp?.kind === 'conv' && !lastOp.relu) lastOp.relu = true;
      else return `${layer.name}: a ReLU here`;
    } else if (cls === 'UpSampling2D') {
      const c = layer.getConfig() as { size?: unknown; interpolation?: string };
      const [a, b] = pairOf(c.size ?? 2);
      if (a !== 2 || b !== 2 || (c.interpolation ?? 'nearest') !== 'nearest') return `${layer.name}: not nearest ×2`;
      ops.push({ kind: 'upsample' });
    } else if (cls === 'Add') {
      // One input is the chain (ending in a norm without ReLU), the other an earlier activation: marked where it ran.
      if (ins.length !== 2 || !previous || !ins.includes(previous) || lastOp?.kind !== 'norm' || lastOp.relu || lastOp.addMarked) {
        return `${layer.name}: not a residual add after a norm`;
      }
      const skip = ins[0] === previous ? ins[1] : ins[0];
      const at = opAfter.get(skip.name);
      // at 0: the skip is the plan's input (a segment starting at a residual block), which the plan then keeps blocked.
      if (at === undefined || (marks.length && at < marks[marks.length - 1])) return `${layer.name}: skip connection`;
      marks.push(at);
      lastOp.addMarked = true;
    } else {
      return `${layer.name}: ${cls} has no plan op`;
    }
    opAfter.set(layer.name, ops.length);
    previous = layer;
  }
  if (reflectPad) return 'a pad after the last op';
  // Insert the marks (from the back, so earlier positions stay valid).
  for (const at of [...marks].sort((a, b) => b - a)) ops.splice(at, 0, { kind: 'mark' });
  const normOps = new Map([...normOpOf].map(([layer, op]) => [layer, ops.indexOf(op)]));
  return { ops, normOps };
}

interface Cached {
  dataIds: object[];
  plan: NetworkPlan;
  tail: Layer[];
  normOps: Map<Layer, number>;
  opCount: number;
}

type PlanCache = WeakMap<tf.LayersModel, Cached | string>;
const cache: PlanCache = new WeakMap();
const affineCache: PlanCache = new WeakMap();

const weightDataIds = (model: tf.LayersModel): object[] => model.weights.map((w) => w.read().dataId as object);
const sameIds = (a: object[], b: object[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The plan `describe` gives `model` for its current weights, from `plans` or built (again, after a weight change). */
function cachedPlan(plans: PlanCache, model: tf.LayersModel, describe: (m: tf.LayersModel) => NetworkPlanOps | string): Omit<Cached, 'dataIds'> | undefined {
  const addon = networkPlanAddon();
  if (!addon) return undefined;
  const ids = weightDataIds(model);
  const hit = plans.get(model);
  if (typeof hit === 'string') return undefined;
  if (hit && sameIds(hit.dataIds, ids)) return hit;
  hit?.plan.dispose();
  const described = describe(model);
  if (typeof described === 'string') {
    plans.set(model, described);
    return undefined;
  }
  const plan = createNetworkPlan(described.ops, addon);
  if (!plan) return undefined;
  const entry = { dataIds: ids, plan, tail: described.tail, normOps: described.normOps, opCount: described.ops.length };
  plans.set(model, entry);
  return entry;
}

/** The plan for `model`'s current weights, building (or rebuilding after a weight change) as needed. */
export function networkPlanFor(model: tf.LayersModel): Omit<Cached, 'dataIds'> | undefined {
  return cachedPlan(cache, model, networkPlanOps);
}

/** networkPlanOps with a norm op in front whose frozen statistics carry a per-channel affine map (see below). */
function affinePlanOps(model: tf.LayersModel): NetworkPlanOps | string {
  const described = networkPlanOps(model);
  if (typeof described === 'string') return described;
  const first = described.ops[0];
  if (first.kind !== 'conv') return 'the network does not start with a conv';
  const ones = new Float32Array(first.inChannels).fill(1);
  const affine: PlanOp = { kind: 'norm', gamma: ones, beta: new Float32Array(first.inChannels), epsilon: 0, relu: false, addMarked: false };
  return { ops: [affine, ...described.ops], tail: described.tail, normOps: new Map([...described.normOps].map(([l, i]) => [l, i + 1])) };
}

/**
 * `model`'s forward pass with a per-channel affine map of its input, x·scale + shift (scale > 0), applied first: in
 * the native plan one pass in the blocked layout that also writes the first conv's padding, instead of tfjs ops over
 * the whole input. The AdaIN decoder takes its target so (AdaIN, style mixing and alpha are affine in the content
 * features: adainAffine). The map rides on a norm op with γ = 1, β = 0 and frozen statistics rstd = scale,
 * mean = −shift/scale, which the kernel turns back into exactly that scale and shift. Undefined when the model has no
 * plan here or norms of its own.
 */
export function plannedAffineForward(model: tf.LayersModel): ((x: tf.Tensor4D, affine: { scale: Float32Array; shift: Float32Array }) => tf.Tensor) | undefined {
  const first = cachedPlan(affineCache, model, affinePlanOps);
  if (!first || first.normOps.size > 0) return undefined;
  return (x, { scale, shift }) => {
    const planned = cachedPlan(affineCache, model, affinePlanOps) ?? first;
    const stats: (FrozenNormStats | undefined)[] = new Array(planned.opCount).fill(undefined);
    stats[0] = { mean: shift.map((b, c) => -b / scale[c]), rstd: scale };
    return tf.tidy(() => tailAfter(model, planned.tail, x, planned.plan.run(x, stats)));
  };
}

/** Runs the tail layers (output norm, head) on the plan's output; `known` holds the tensors they read before them. */
function applyTail(tail: Layer[], known: Map<Layer, tf.Tensor>, y: tf.Tensor4D): tf.Tensor {
  const out = new Map(known);
  let last: tf.Tensor = y;
  for (const layer of tail) {
    const ins = inbound(layer).map((l) => out.get(l)!);
    last = layer.apply(ins.length === 1 ? ins[0] : ins) as tf.Tensor;
    out.set(layer, last);
  }
  return last;
}

/** The whole network's tail on the plan's output y (the last conv's) and the network input x. */
function tailAfter(model: tf.LayersModel, tail: Layer[], x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor {
  const lastConv = model.layers[model.layers.length - tail.length - 1];
  return applyTail(tail, new Map<Layer, tf.Tensor>([[model.layers[0], x], [lastConv, y]]), y);
}

/** model.predict through the native plan when it can run (same result to float tolerance), else model.predict. */
export function plannedForward(model: tf.LayersModel): (x: tf.Tensor4D) => tf.Tensor {
  return (x) => {
    const planned = x.rank === 4 ? networkPlanFor(model) : undefined;
    if (!planned) {
      const y = model.predict(x);
      return Array.isArray(y) ? y[0] : y;
    }
    return tf.tidy(() => tailAfter(model, planned.tail, x, planned.plan.run(x)));
  };
}

/** planRun's per-op statistics: each norm op's entry from `stats` (by layer); every norm must have one. */
function statsByOp(normOps: Map<Layer, number>, opCount: number, stats: Map<Layer, FrozenNormStats>): (FrozenNormStats | undefined)[] {
  const byOp: (FrozenNormStats | undefined)[] = new Array(opCount).fill(undefined);
  for (const [layer, op] of normOps) {
    const s = stats.get(layer);
    if (!s) throw new Error(`no statistics for ${layer.name}`);
    byOp[op] = s;
  }
  return byOp;
}

/**
 * The plan's forward pass with every instance norm normalising with `stats` (by layer) instead of its input's own:
 * the tiles of one image sharing the whole image's statistics (src/infer/tile-stats.ts). Undefined when the plan
 * cannot run here, or when a norm of the model has no statistics or runs after the plan (in its tail).
 */
export function plannedForwardWithStats(model: tf.LayersModel, stats: Map<Layer, FrozenNormStats>): ((x: tf.Tensor4D) => tf.Tensor) | undefined {
  const first = networkPlanFor(model);
  if (!first || first.tail.some((l) => l instanceof InstanceNorm) || [...first.normOps.keys()].some((l) => !stats.has(l))) return undefined;
  return (x) => {
    // Re-read: the plan is rebuilt if the weights changed since.
    const planned = networkPlanFor(model) ?? first;
    return tf.tidy(() => tailAfter(model, planned.tail, x, planned.plan.run(x, statsByOp(planned.normOps, planned.opCount, stats))));
  };
}

/** A plan for part of a model (networkSegmentOps), its norms normalising with statistics given per run. */
export interface SegmentPlan {
  /** Layer `to`'s output for layer `from`'s output x; every norm in the segment needs its statistics in `stats`. */
  run(x: tf.Tensor4D, stats: Map<Layer, FrozenNormStats>): tf.Tensor4D;
  /**
   * run() on raw NHWC values (shape [1, h, w, c]) with no tensors: layer `to`'s output in an array the plan owns and
   * reuses for the next run of the same output size (read it before then). Undefined when the segment ends in layers
   * the plan does not run (a tail: then use run()).
   */
  runValues?(values: Float32Array, shape: Shape4, stats: Map<Layer, FrozenNormStats>): Float32Array;
  dispose(): void;
}

/** Output arrays kept for reuse by size: a tiled pass has at most a few window sizes (its last row and column). */
const REUSED_SIZES = 4;

/** A plan for layers from+1 … to of `model` fed with layer `from`'s output, or undefined (no plan here, or a layer it cannot run). */
export function networkSegmentPlan(model: tf.LayersModel, from: number, to: number): SegmentPlan | undefined {
  const addon = networkPlanAddon();
  if (!addon) return undefined;
  const described = networkSegmentOps(model, from, to);
  if (typeof described === 'string') return undefined;
  const plan = createNetworkPlan(described.ops, addon);
  if (!plan) return undefined;
  const layers = model.layers;
  const end = layers[to - described.tail.length];
  const outputs = new Map<number, Float32Array>();
  return {
    run(x, stats) {
      return tf.tidy(() => {
        const y = plan.run(x, statsByOp(described.normOps, described.ops.length, stats));
        return (described.tail.length ? applyTail(described.tail, new Map<Layer, tf.Tensor>([[layers[0], x], [end, y]]), y) : y) as tf.Tensor4D;
      });
    },
    ...(described.tail.length === 0 && {
      runValues(values: Float32Array, shape: Shape4, stats: Map<Layer, FrozenNormStats>) {
        const size = plan.outputShape(shape).reduce((a, b) => a * b, 1);
        let out = outputs.get(size);
        if (!out) {
          if (outputs.size >= REUSED_SIZES) outputs.delete(outputs.keys().next().value as number);
          out = new Float32Array(size);
          outputs.set(size, out);
        }
        plan.runInto(values, shape, out, statsByOp(described.normOps, described.ops.length, stats));
        return out;
      },
    }),
    dispose: () => {
      outputs.clear();
      plan.dispose();
    },
  };
}

