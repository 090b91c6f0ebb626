/**
 * A small typed builder for ONNX graphs on top of onnx-proto (protobufjs): named initializers, nodes with attributes,
 * unique value names, and the final ModelProto bytes. It knows nothing about our network (transformer-graph.ts does).
 *
 * Tensor data is written as `raw_data` (little-endian, as the ONNX spec requires; every platform Node runs on here is
 * little-endian), which is the compact form every runtime reads.
 */
import { onnx } from 'onnx-proto';

/** ONNX IR version 7 = the one opset 13 shipped with (ONNX 1.8): the widest runtime compatibility for opset 13. */
export const IR_VERSION = 7;

export type AttributeValue = number | string | number[] | { int: number } | { ints: number[] };

/** Marks an attribute integer explicitly (plain numbers are floats when not integral, ints when integral). */
export const int = (v: number) => ({ int: v });
export const ints = (v: number[]) => ({ ints: v });

export type Dim = number | string;

export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();

  constructor(private readonly graphName: string) {}

  /** A value name not used yet: `base`, or `base_2`, `base_3`… */
  uniqueName(base: string): string {
    let name = base;
    for (let k = 2; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  addInput(name: string, shape: Dim[]): string {
    this.usedNames.add(name);
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  /** Declares `value` (an existing node output) as a graph output named `name` (via Identity when they differ). */
  addOutput(value: string, name: string, shape: Dim[]): void {
    if (value !== name) this.node('Identity', [value], { name, outputName: name });
    this.outputs.push(valueInfo(name, shape));
  }

  addFloatInitializer(name: string, dims: number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    const n = this.uniqueName(name);
    this.initializers.push({
      name: n,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return n;
  }

  addInt64Initializer(name: string, values: number[]): string {
    const n = this.uniqueName(name);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name: n, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return n;
  }

  /** A scalar float constant (rank 0), e.g. for Mul/Add broadcasting. */
  addScalar(name: string, value: number): string {
    const n = this.uniqueName(name);
    this.initializers.push({ name: n, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(value).buffer) });
    return n;
  }

  /**
   * Adds a node and returns its (single) output name. `inputs` may contain '' for an omitted optional input.
   * The node and its output are named after `opts.name` (made unique).
   */
  node(opType: string, inputs: string[], opts: { name: string; outputName?: string; attrs?: Record<string, AttributeValue> }): string {
    const output = opts.outputName ?? this.uniqueName(opts.name);
    this.usedNames.add(output);
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** Serializes the model: opset `opset` of the default domain. */
  encode(meta: { opset: number; producerVersion: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'nst',
      producerVersion: meta.producerVersion,
      docString: meta.docString,
      opsetImport: [{ domain: '', version: meta.opset }],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

}

function valueInfo(name: string, shape: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: T.FLOATS, floats: v };
  if ('int' in v) return { name, type: T.INT, i: v.int };
  return { name, type: T.INTS, ints: v.ints };
}
