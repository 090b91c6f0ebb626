/**
 * tfjs LayersModel <-> bytes of a standard tfjs `model.json` + one weights file, without tfjs-node's file:// handler:
 * we capture artifacts with tf.io.withSaveHandler and load them with tf.io.fromMemory.
 */
import { tf } from '../backend/tf';
import '../nets/layers'; // registers our custom layers so loadLayersModel can rebuild them

export interface ModelFiles {
  /** model.json text (tfjs layers format, weightsManifest pointing at `weightsFile`). */
  modelJson: string;
  weights: Uint8Array;
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

export async function modelToFiles(model: tf.LayersModel, weightsFile: string): Promise<ModelFiles> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('tfjs did not hand over the model artifacts');
  const modelJson: tf.io.ModelJSON = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
  };
  return { modelJson: JSON.stringify(modelJson), weights: joinWeightData(artifacts.weightData) };
}

/** Parses a model.json; `readWeights(path)` returns each weights file named in its manifest (in order). */
export async function modelFromFiles(modelJsonText: string, readWeights: (file: string) => Uint8Array): Promise<tf.LayersModel> {
  const json = JSON.parse(modelJsonText) as tf.io.ModelJSON;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error('model.json lacks modelTopology or weightsManifest');
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const chunks = json.weightsManifest.flatMap((g) => g.paths.map(readWeights));
  const weightData = joinWeightData(chunks.map((c) => c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) as ArrayBuffer));
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer as ArrayBuffer }),
  );
}
