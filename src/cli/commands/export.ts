/**
 * nst export CKPT --format onnx|tfjs [--quantize float16|uint8] --out PATH [--force]
 * Writes a checkpoint as a model other apps run (library: src/export; formats: docs/export.md).
 */
import type { Argv, CommandModule } from 'yargs';
import { EXPORT_FORMATS, exportCheckpoint, ExportFormat, WEIGHT_QUANTIZATIONS, WeightQuantization } from '../../export';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

interface ExportArgs extends BackendArgs {
  checkpoint: string;
  format: ExportFormat;
  quantize?: WeightQuantization;
  out: string;
  force: boolean;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <checkpoint>',
  describe: 'export a checkpoint to ONNX or a TensorFlow.js web model',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .positional('checkpoint', { type: 'string', demandOption: true, describe: 'checkpoint folder (from nst train or nst import; an AdaIN checkpoint exports to ONNX with inputs content, style, alpha)' })
        .option('format', { type: 'string', choices: EXPORT_FORMATS, demandOption: true, describe: 'onnx: one .onnx file (opset 13); tfjs: a folder for the browser' })
        .option('quantize', { type: 'string', choices: WEIGHT_QUANTIZATIONS, describe: 'tfjs only: store weights as float16 (½ size) or uint8 (¼ size)' })
        .option('out', { type: 'string', demandOption: true, describe: 'the .onnx file, or the tfjs folder, to write' })
        .option('force', { type: 'boolean', default: false, describe: 'replace an existing output' }),
    )
      .example('$0 export checkpoints/udnie --format onnx --out udnie.onnx', 'for ONNX Runtime (Python, C++, C#, JS …)')
      .example('$0 export checkpoints/udnie --format tfjs --quantize float16 --out web/model', 'for a web page (see web/index.html)') as unknown as Argv<ExportArgs>,
  handler: handler(async (args: ExportArgs) => {
    await startBackend(args);
    const r = await exportCheckpoint(args.checkpoint, { format: args.format, out: args.out, quantize: args.quantize, force: args.force });
    const total = r.files.reduce((n, f) => n + f.bytes, 0);
    const q = r.quantize ? `, ${r.quantize} weights` : '';
    process.stdout.write(`exported ${r.format}${q} -> ${r.out} (${r.files.length} file${r.files.length > 1 ? 's' : ''}, ${kib(total)})\n`);
  }),
};
