/**
 * `nst export` as a library: a checkpoint to a model other apps run.
 *
 *   exportCheckpoint(checkpointDir, { format: 'onnx' | 'tfjs', out, quantize?, force? }) -> Promise<ExportResult>
 *   transformerToOnnx(model, config) -> Uint8Array               (src/export/onnx)
 *   transformerToTfjsWeb(model, config, { quantize }) -> files   (src/export/tfjs-web.ts)
 *
 * Options are validated once here; the output is checked (no overwrite without force) before the checkpoint loads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { loadAdainCheckpoint, loadCheckpoint, readCheckpointKind, resolveCheckpointDir } from '../checkpoint';
import { InputError, UsageError } from '../errors';
import type { AdainDecoderConfig } from '../nets/adain';
import { embeddedLossWeights } from '../nets/loss-network';
import { readVggWeights } from '../nets/loss-network/load-vgg';
import { isTextureNetConfig, NetworkConfig } from '../nets/network';
import { adainToOnnx, textureNetToOnnx, transformerToOnnx } from './onnx';
import { writeFileAtomic } from '../util/atomic-write';
import { checkOutputTarget, writeFolderAtomic } from './output-target';
import { TFJS_MODEL_JSON, transformerToTfjsWeb } from './tfjs-web';
import { WEIGHT_QUANTIZATIONS, WeightQuantization } from './weight-quantization';

export { adainToOnnx, textureNetToOnnx, transformerToOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from './onnx';
export { ADAIN_ONNX_ALPHA, ADAIN_ONNX_CONTENT, ADAIN_ONNX_OUTPUT, ADAIN_ONNX_STYLE } from './onnx';
export { transformerToTfjsWeb, TFJS_MODEL_JSON, TFJS_WEIGHTS_FILE, BROWSER_LAYERS_FILE } from './tfjs-web';
export { BROWSER_LAYERS_MODULE } from './browser-layers';
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

export async function exportCheckpoint(checkpointDir: string, options: ExportOptions): Promise<ExportResult> {
  const o = parseOptions(options);
  const target = checkOutputTarget(o.out, o.format === 'onnx' ? 'file' : 'folder', o.force ?? false, TFJS_MODEL_JSON);
  if (readCheckpointKind(resolveCheckpointDir(checkpointDir)) === 'adain') return exportAdain(checkpointDir, o.format, target);
  // loadCheckpoint names the folder and the problem for a missing, broken or foreign checkpoint (InputError).
  const { model, config, meta } = await loadCheckpoint(checkpointDir);
  try {
    if (o.format === 'onnx') {
      const metadata = { 'nst.checkpoint': path.basename(path.resolve(checkpointDir)), 'nst.createdAt': meta.createdAt };
      const bytes = isTextureNetConfig(config) ? textureNetToOnnx(model, config, metadata) : transformerToOnnx(model, config, metadata);
      writeFileAtomic(target, bytes);
      return { format: o.format, out: target, files: [{ path: target, bytes: bytes.byteLength }], config };
    }
    const files = await transformerToTfjsWeb(model, config, { quantize: o.quantize });
    await writeFolderAtomic(target, files);
    return {
      format: o.format,
      out: target,
      files: Object.keys(files).map((name) => ({ path: path.join(target, name), bytes: fs.statSync(path.join(target, name)).size })),
      config,
      quantize: o.quantize,
    };
  } finally {
    model.dispose();
  }
}

/**
 * An AdaIN checkpoint: ONNX only (one graph with the embedded VGG19 encoder, content and style inputs). The encoder is
 * the embedded VGG19, so only relu3_1 decoders trained on its (caffe) preprocessing can be exported.
 */
async function exportAdain(checkpointDir: string, format: ExportFormat, target: string): Promise<ExportResult> {
  if (format !== 'onnx') throw new UsageError(`${checkpointDir}: an AdaIN (arbitrary-style) checkpoint exports to --format onnx only`);
  const { model, config, meta } = await loadAdainCheckpoint(checkpointDir);
  try {
    const encoderFile = embeddedLossWeights();
    const encoder = await readVggWeights(encoderFile, 'tfjs-layers');
    if (!encoder.convs.has('block3_conv1') || config.encoderLayer !== 'relu3_1' || meta.encoder.preprocessing !== encoder.preprocessing) {
      throw new InputError(
        `${checkpointDir}: ONNX export embeds the package's VGG19 (blocks 1-3, ${encoder.preprocessing}); this decoder needs ${config.encoderLayer} with ${meta.encoder.preprocessing} preprocessing`,
      );
    }
    const bytes = adainToOnnx(model, config, encoder, { 'nst.checkpoint': path.basename(path.resolve(checkpointDir)), 'nst.createdAt': meta.createdAt });
    writeFileAtomic(target, bytes);
    return { format, out: target, files: [{ path: target, bytes: bytes.byteLength }], config };
  } finally {
    model.dispose();
  }
}
