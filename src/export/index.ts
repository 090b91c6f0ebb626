/**
 * `nst export` as a library: a checkpoint to a model other apps run.
 *
 *   exportCheckpoint(checkpointDir | 'adain', { format: 'onnx' | 'tfjs', out, quantize?, force? }) -> Promise<ExportResult>
 *   transformerToOnnx(model, config) -> Uint8Array               (src/export/onnx)
 *   transformerToTfjsWeb(model, config, { quantize }) -> files   (src/export/tfjs-web.ts)
 *   adainToOnnx / adainToTfjsWeb(decoder, config, encoder, …)   AdaIN models (src/export/onnx, adain-web.ts)
 *
 * Options are validated once here; the output is checked (no overwrite without force) before the checkpoint loads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { embeddedAdainDecoderDir, loadAdainCheckpoint, loadCheckpoint, readCheckpointKind, resolveCheckpointDir } from '../checkpoint';
import { InputError, UsageError } from '../errors';
import { loadAdainEncoder, type AdainDecoderConfig } from '../nets/adain';
import type { LossNetwork } from '../nets/loss-network/types';
import { VggFeatureExtractor } from '../nets/loss-network/vgg-net';
import { isTextureNetConfig, NetworkConfig } from '../nets/network';
import { adainToOnnx, textureNetToOnnx, transformerToOnnx } from './onnx';
import { writeFileAtomic } from '../util/atomic-write';
import { checkOutputTarget, writeFolderAtomic } from './output-target';
import { adainToTfjsWeb } from './adain-web';
import { TFJS_MODEL_JSON, transformerToTfjsWeb, type ExportFiles } from './tfjs-web';
import { WEIGHT_QUANTIZATIONS, WeightQuantization } from './weight-quantization';

export { adainToOnnx, textureNetToOnnx, transformerToOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from './onnx';
export { ADAIN_ONNX_ALPHA, ADAIN_ONNX_CONTENT, ADAIN_ONNX_OUTPUT, ADAIN_ONNX_STYLE } from './onnx';
export { transformerToTfjsWeb, TFJS_MODEL_JSON, TFJS_WEIGHTS_FILE, BROWSER_LAYERS_FILE } from './tfjs-web';
export { BROWSER_LAYERS_MODULE } from './browser-layers';
export { adainToTfjsWeb, buildVggEncoderModel, ADAIN_ENCODER_JSON, ADAIN_ENCODER_WEIGHTS } from './adain-web';
export type { AdainWebMetadata, AdainEncoderWeights } from './adain-web';
export { BROWSER_ADAIN_FILE, BROWSER_ADAIN_MODULE } from './browser-adain';
export { quantizeWeights, float32ToFloat16, WEIGHT_QUANTIZATIONS } from './weight-quantization';
export type { WeightQuantization, WeightSpec } from './weight-quantization';
export type { ExportFiles, TfjsWebMetadata } from './tfjs-web';

export const EXPORT_FORMATS = ['onnx', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const ExportOptionsSchema = z
  .object({
    format: z.enum(EXPORT_FORMATS),
    out: z.string().min(1),
    quantize: z.enum(WEIGHT_QUANTIZATIONS as [WeightQuantization, ...WeightQuantization[]]).optional(),
    force: z.boolean().optional(),
  })
  .strict()
  .refine((o) => o.format === 'tfjs' || o.quantize === undefined, {
    message: '--quantize applies to --format tfjs only (ONNX models are exported in float32)',
    path: ['quantize'],
  });
export type ExportOptions = z.input<typeof ExportOptionsSchema>;

export interface ExportResult {
  format: ExportFormat;
  /** Absolute path written: the .onnx file, or the tfjs folder. */
  out: string;
  /** Each file written, with its size in bytes. */
  files: Array<{ path: string; bytes: number }>;
  config: NetworkConfig | AdainDecoderConfig;
  quantize?: WeightQuantization;
}

function parseOptions(options: ExportOptions) {
  const r = ExportOptionsSchema.safeParse(options);
  if (!r.success) {
    const i = r.error.issues[0];
    const where = i.path.length ? `--${String(i.path[0])}: ` : '';
    throw new UsageError(`export: ${where}${i.message}`);
  }
  return r.data;
}

const listWritten = (target: string, files: ExportFiles) =>
  Object.keys(files).map((name) => ({ path: path.join(target, name), bytes: fs.statSync(path.join(target, name)).size }));

/** Exports a checkpoint of either kind (per-style or AdaIN; `adain` = the embedded AdaIN decoder). */
export async function exportCheckpoint(source: string, options: ExportOptions): Promise<ExportResult> {
  const o = parseOptions(options);
  const target = checkOutputTarget(o.out, o.format === 'onnx' ? 'file' : 'folder', o.force ?? false, TFJS_MODEL_JSON);
  const checkpointDir = resolveExportSource(source);
  if (readCheckpointKind(resolveCheckpointDir(checkpointDir)) === 'adain') return exportAdain(checkpointDir, o, target);
  // loadCheckpoint names the folder and the problem for a missing, broken or foreign checkpoint (InputError).
  const { model, config, meta } = await loadCheckpoint(checkpointDir);
  try {
    if (o.format === 'onnx') {
      const metadata = {
        'nst.checkpoint': path.basename(path.resolve(checkpointDir)),
        'nst.createdAt': meta.createdAt,
        ...(meta.styleNames ? { 'nst.styleNames': JSON.stringify(meta.styleNames) } : {}),
      };
      const bytes = isTextureNetConfig(config) ? textureNetToOnnx(model, config, metadata) : transformerToOnnx(model, config, metadata);
      writeFileAtomic(target, bytes);
      return { format: o.format, out: target, files: [{ path: target, bytes: bytes.byteLength }], config };
    }
    const files = await transformerToTfjsWeb(model, config, { quantize: o.quantize, styleNames: meta.styleNames });
    await writeFolderAtomic(target, files);
    return {
      format: o.format,
      out: target,
      files: listWritten(target, files),
      config,
      quantize: o.quantize,
    };
  } finally {
    model.dispose();
  }
}

/**
 * The name that stands for the package's embedded AdaIN decoder (assets/adain-decoder) in `nst export adain`, unless a
 * folder of that name exists where it is run (that folder is then meant).
 */
export const EMBEDDED_ADAIN_NAME = 'adain';

/** The checkpoint folder a name stands for: EMBEDDED_ADAIN_NAME is the embedded decoder unless a folder is called so. */
export function resolveExportSource(checkpointDir: string): string {
  if (checkpointDir === EMBEDDED_ADAIN_NAME && !fs.existsSync(checkpointDir)) return embeddedAdainDecoderDir();
  return checkpointDir;
}

/**
 * An AdaIN checkpoint, with its frozen encoder: ONNX (one graph, inputs content, style, alpha) or a tfjs web folder
 * (./adain-web.ts). The encoder is the one stylizing uses (loadAdainEncoder: the embedded VGG19 for relu3_1, a full
 * VGG19 from the loss-weight lookup for relu4_1), with the preprocessing the checkpoint records.
 */
async function exportAdain(checkpointDir: string, o: z.output<typeof ExportOptionsSchema>, target: string): Promise<ExportResult> {
  const { model, config, meta } = await loadAdainCheckpoint(checkpointDir);
  let encoderNet: LossNetwork | undefined;
  try {
    encoderNet = await loadAdainEncoder(config.encoderLayer);
    if (!(encoderNet instanceof VggFeatureExtractor) || encoderNet.preprocessing !== meta.encoder.preprocessing) {
      throw new InputError(
        `${checkpointDir}: this decoder needs a VGG19 with ${config.encoderLayer} and ${meta.encoder.preprocessing} preprocessing, but the encoder found is ${encoderNet.description}: set NST_LOSS_WEIGHTS to the VGG19 it was trained on`,
      );
    }
    const encoder = encoderNet.weights;
    if (o.format === 'onnx') {
      const bytes = adainToOnnx(model, config, encoder, { 'nst.checkpoint': path.basename(path.resolve(checkpointDir)), 'nst.createdAt': meta.createdAt });
      writeFileAtomic(target, bytes);
      return { format: o.format, out: target, files: [{ path: target, bytes: bytes.byteLength }], config };
    }
    const files = await adainToTfjsWeb(model, config, encoder, { quantize: o.quantize });
    await writeFolderAtomic(target, files);
    return { format: o.format, out: target, files: listWritten(target, files), config, quantize: o.quantize };
  } finally {
    model.dispose();
    encoderNet?.dispose();
  }
}
