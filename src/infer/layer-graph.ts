/**
 * A style network's tf.LayersModel as a list of nodes that src/infer can run piece by piece: from any node whose
 * output is supplied (the image, or an activation cached for the whole image), up to any nodes, with the instance-norm
 * layers normalising by statistics supplied from outside instead of their input's own.
 *
 *   layerGraph(model) -> LayerGraph            nodes in topological order, each with its resolution and inputs
 *   edgeDepths(graph, source) -> number[]      how far (input px) a tile border's wrong padding reaches into each node
 *   cutNodes(graph) -> number[]                nodes through which everything later depends on everything earlier
 *   neededNodes(graph, targets, known)         the nodes (and known feeds) that computing some targets takes
 *   runGraph(graph, request) -> tensors         one eager evaluation, freeing each activation after its last use
 *
 * Why: instance norm normalises over the whole image, so tiles only reproduce the untiled pass when every tile uses
 * the whole image's statistics (src/infer/tile-stats.ts gathers them). Running the layers here, rather than
 * model.predict, is what lets the statistics come from outside; training never goes through this path.
 */
import { tf } from '../backend/tf';
import type { FrozenNormStats } from '../backend/native/network-plan';
import { UsageError } from '../errors';
import { instanceNormWithStats } from '../nets/ops/instance-norm';
import { CONDITIONAL_NORM_CLASS, ConditionalInstanceNorm } from '../nets/layers/conditional-instance-norm';

/** The instance norms: the plain one, and a multi-style network's conditional one (γ/β of its current style weights). */
const NORM_CLASSES = ['NstInstanceNorm', CONDITIONAL_NORM_CLASS];
const isNorm = (className: string) => NORM_CLASSES.includes(className);

export interface GraphNode {
  name: string;
  layer: tf.layers.Layer;
  className: string;
  /** Indices of the nodes whose outputs this one takes, in call order. */
  inputs: number[];
  /** Input pixels per cell of this node's output (1 at full resolution, 4 at the residual blocks). */
  scale: number;
  channels: number;
}

export interface LayerGraph {
  /** The model the nodes are the layers of. */
  model: tf.LayersModel;
  nodes: GraphNode[];
  /** The image input node (index 0) and the output node. */
  input: number;
  output: number;
  /** Instance-norm nodes, in forward order. */
  norms: number[];
}

/** Per-channel statistics of one instance-norm layer's input over the whole image: what a native plan's norm takes. */
export type NormStats = FrozenNormStats;

/** A norm layer's γ and β: its weights, or a multi-style net's for its current style weights (call inside a tf.tidy). */
export function normGammaBeta(layer: tf.layers.Layer): tf.Tensor1D[] {
  return layer instanceof ConditionalInstanceNorm ? layer.mixedGammaBeta() : (layer.getWeights() as tf.Tensor1D[]);
}

export function isLayersModel(model: unknown): model is tf.LayersModel {
  return model instanceof tf.LayersModel;
}

function pair(v: unknown): number {
  return Array.isArray(v) ? Math.max(...(v as number[])) : (v as number);
}

/** The nodes of a single-input, single-output functional model whose layers are each called once. */
export function layerGraph(model: tf.LayersModel): LayerGraph {
  const index = new Map<string, number>();
  const nodes: GraphNode[] = [];
  for (const layer of model.layers) {
    if (layer.inboundNodes.length !== 1) throw new UsageError(`layer ${layer.name} is shared or unused: the network cannot be run tile by tile`);
    const inputs = layer.inboundNodes[0].inboundLayers.map((l) => {
      const i = index.get(l.name);
      if (i === undefined) throw new UsageError(`layer ${layer.name} comes before its input ${l.name}: not a topologically ordered model`);
      return i;
    });
    const className = layer.getClassName();
    const config = layer.getConfig();
    let scale = inputs.length ? nodes[inputs[0]].scale : 1;
    // Average pooling (the texture net's downsampled photo) shrinks like a strided conv; its border reach is only the
    // rounding to its cells, which edgeDepths applies to every node.
    if (className === 'Conv2D' || className === 'AveragePooling2D') scale *= pair(className === 'Conv2D' ? config.strides : config.poolSize);
    else if (className === 'Conv2DTranspose' || className === 'UpSampling2D') scale /= pair(className === 'UpSampling2D' ? config.size : config.strides);
    const shape = layer.outputShape as number[];
    index.set(layer.name, nodes.length);
    nodes.push({ name: layer.name, layer, className, inputs, scale, channels: shape[shape.length - 1] });
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new UsageError('the style network must have one input and one output');
  const input = index.get(model.inputs[0].sourceLayer.name)!;
  const output = index.get(model.outputs[0].sourceLayer.name)!;
  const norms = nodes.flatMap((n, i) => (isNorm(n.className) ? [i] : []));
  return { model, nodes, input, output, norms };
}

/**
 * For each node, a bound (input px) on how far from a tile's border its output can differ from the untiled pass
 * when the tile is cut from the exact outputs of `sources` (one node, or several read together): each convolution
 * spreads the border's padding by its reach (half the kernel at stride 1; the whole kernel at stride 2, whose 'same'
 * padding is lopsided; a transposed conv reaches one input cell and a half), rounded out to whole cells. NaN for
 * nodes that do not depend on the sources alone.
 */
export function edgeDepths(graph: LayerGraph, sources: number | number[]): number[] {
  const fed = new Set(typeof sources === 'number' ? [sources] : sources);
  const depth = graph.nodes.map((_, i) => (fed.has(i) ? 0 : NaN));
  graph.nodes.forEach((n, i) => {
    if (fed.has(i)) return;
    const ins = n.inputs.map((j) => depth[j]);
    if (ins.length === 0 || ins.some((d) => Number.isNaN(d))) return;
    const inScale = graph.nodes[n.inputs[0]].scale;
    let d = Math.max(...ins);
    const config = n.layer.getConfig();
    const k = n.className.startsWith('Conv') ? pair(config.kernelSize) : 1;
    if (n.className === 'Conv2D') d += (pair(config.strides) > 1 ? k - 1 : (k - 1) / 2) * inScale;
    else if (n.className === 'Conv2DTranspose') d += ((k - 1) / 2 + 1) * inScale;
    depth[i] = Math.ceil(d / n.scale) * n.scale;
  });
  return depth;
}

/** Layer classes whose resolution or border reach layerGraph/edgeDepths do not model. */
const UNMODELLED_CLASSES = new Set(['MaxPooling2D', 'GlobalAveragePooling2D', 'Cropping2D', 'ZeroPadding2D']);

/**
 * Whether exact tile statistics (tile-stats.ts) can run this graph: no layer the resolution and border-reach analysis
 * does not know. Both nst nets qualify (the texture net's average poolings and concatenations are modelled).
 */
export function supportsExactStats(graph: LayerGraph): boolean {
  return !graph.nodes.some((n) => UNMODELLED_CLASSES.has(n.className));
}

/** The input geometry a LayersModel needs, read off its poolings: sides multiples of the largest, and twice that. */
export function poolingStride(model: tf.LayersModel): number {
  let stride = 1;
  for (const l of model.layers) if (l.getClassName() === 'AveragePooling2D') stride = Math.max(stride, pair(l.getConfig().poolSize));
  return stride;
}

/** Nodes c such that no node after c reads a node before c: caching c's output for the whole image suffices to go on. */
export function cutNodes(graph: LayerGraph): number[] {
  const cuts: number[] = [];
  // earliest[i] = the smallest input index read by any node after i.
  let earliest = Infinity;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    if (earliest >= i && i !== graph.output) cuts.push(i);
    for (const j of graph.nodes[i].inputs) earliest = Math.min(earliest, j);
  }
  return cuts.reverse();
}

/**
 * What computing `targets` takes when the outputs of the `known` nodes are at hand: the nodes to evaluate (walking
 * back from the targets, stopping at known nodes) and the known nodes they read (the feeds), both ascending.
 */
export function neededNodes(graph: LayerGraph, targets: number[], known: Set<number>): { nodes: number[]; feeds: number[] } {
  const nodes = new Set<number>();
  const feeds = new Set<number>();
  const stack = [...targets];
  while (stack.length) {
    const i = stack.pop()!;
    if (known.has(i)) {
      feeds.add(i);
      continue;
    }
    if (nodes.has(i)) continue;
    nodes.add(i);
    if (graph.nodes[i].inputs.length === 0) throw new Error(`neededNodes: ${graph.nodes[i].name} is needed but not known`);
    stack.push(...graph.nodes[i].inputs);
  }
  const up = (a: number, b: number) => a - b;
  return { nodes: [...nodes].sort(up), feeds: [...feeds].sort(up) };
}

export interface RunRequest {
  /** Output tensors supplied for these nodes (e.g. the image at the input node); the caller keeps ownership. */
  feeds: Map<number, tf.Tensor4D>;
  /** Nodes whose outputs to return (the caller disposes them). */
  targets: number[];
  /** Statistics for instance-norm nodes; a norm needed without them is an error unless `collect` is set. */
  stats: Map<number, NormStats>;
  /** Norms without statistics use their input's own (as the layer does) and record them here. */
  collect?: Map<number, NormStats>;
}

function ownStats(x: tf.Tensor4D, epsilon: number): NormStats {
  const [mean, rstd] = tf.tidy(() => {
    const m = tf.moments(x, [0, 1, 2]);
    return [m.mean, tf.rsqrt(tf.add(m.variance, epsilon))];
  });
  const stats = { mean: mean.dataSync() as Float32Array, rstd: rstd.dataSync() as Float32Array };
  tf.dispose([mean, rstd]);
  return stats;
}

function normEpsilon(node: GraphNode): number {
  return (node.layer.getConfig() as { epsilon: number }).epsilon;
}

/** Evaluates the nodes `request.targets` need, eagerly, disposing every intermediate as soon as nothing else reads it. */
export function runGraph(graph: LayerGraph, request: RunRequest): tf.Tensor4D[] {
  const { nodes } = graph;
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    if (request.feeds.has(i)) return;
    if (nodes[i].inputs.length === 0) throw new Error(`runGraph: node ${nodes[i].name} is needed but not fed`);
    nodes[i].inputs.forEach(visit);
  };
  request.targets.forEach(visit);
  const uses = new Map<number, number>();
  for (const i of needed) if (!request.feeds.has(i)) for (const j of nodes[i].inputs) uses.set(j, (uses.get(j) ?? 0) + 1);
  for (const t of request.targets) uses.set(t, (uses.get(t) ?? 0) + 1);
  const values = new Map<number, tf.Tensor4D>(request.feeds);
  const release = (j: number) => {
    const left = uses.get(j)! - 1;
    uses.set(j, left);
    if (left === 0 && !request.feeds.has(j)) values.get(j)!.dispose();
  };
  const order = [...needed].sort((a, b) => a - b);
  for (const i of order) {
    if (values.has(i)) continue;
    const node = nodes[i];
    const ins = node.inputs.map((j) => values.get(j)!);
    let y: tf.Tensor4D;
    if (isNorm(node.className)) {
      let s = request.stats.get(i);
      if (!s) {
        if (!request.collect) throw new Error(`runGraph: no statistics for ${node.name}`);
        s = ownStats(ins[0], normEpsilon(node));
        request.collect.set(i, s);
      }
      const st = s;
      y = tf.tidy(() => {
        const [gamma, beta] = normGammaBeta(node.layer);
        return instanceNormWithStats(ins[0], gamma, beta, tf.tensor1d(st.mean), tf.tensor1d(st.rstd));
      });
    } else {
      y = tf.tidy(() => node.layer.apply(ins.length === 1 ? ins[0] : ins) as tf.Tensor4D);
    }
    values.set(i, y);
    node.inputs.forEach(release);
  }
  return request.targets.map((t) => values.get(t)!);
}
