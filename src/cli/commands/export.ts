/**
 * nst export CKPT|adain --format onnx|tfjs [--quantize float16|uint8] --out PATH [--force]
 * Writes a checkpoint as a model other apps run (library: src/export; formats: docs/export.md).
 */
import type { Argv, CommandModule } from 'yargs';
import { exportCheckpoint, ExportOptions, ExportOptionsSchema } from '../../export';
import { ArgsOf, configFromArgs, optionsFromSchema } from '../options-from-schema';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

type ExportArgs = BackendArgs & ArgsOf<ExportOptions> & { checkpoint: string };

/** Flags, types and choices from the export options' schema; what each means on the command line is said here. */
const EXPORT_OPTIONS = optionsFromSchema(ExportOptionsSchema, {
  format: { demandOption: true, describe: 'onnx: one .onnx file (opset 13); tfjs: a folder for the browser' },
  quantize: { describe: 'tfjs only: store weights as float16 (½ size) or uint8 (¼ size)' },
  out: { demandOption: true, describe: 'the .onnx file, or the tfjs folder, to write' },
  force: { default: false, describe: 'replace an existing output' },
});

const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <checkpoint>',
  describe: 'export a checkpoint to ONNX or a TensorFlow.js web model',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .positional('checkpoint', { type: 'string', demandOption: true, describe: "checkpoint folder (from nst train, nst import or nst train-adain), or 'adain' for the embedded AdaIN decoder; an AdaIN model exports with its VGG19 encoder (ONNX inputs content, style, alpha; tfjs: a page picks any style image)" })
        .options(EXPORT_OPTIONS),
    )
      .example('$0 export checkpoints/udnie --format onnx --out udnie.onnx', 'for ONNX Runtime (Python, C++, C#, JS …)')
      .example('$0 export checkpoints/udnie --format tfjs --quantize float16 --out web/model', 'for a web page (see web/index.html)')
      .example('$0 export adain --format tfjs --out web/adain', 'the embedded arbitrary-style model, for the page\'s style picker') as unknown as Argv<ExportArgs>,
  handler: handler(async (args: ExportArgs) => {
    await startBackend(args);
    const r = await exportCheckpoint(args.checkpoint, configFromArgs(ExportOptionsSchema, args) as ExportOptions);
    const total = r.files.reduce((n, f) => n + f.bytes, 0);
    const q = r.quantize ? `, ${r.quantize} weights` : '';
    process.stdout.write(`exported ${r.format}${q} -> ${r.out} (${r.files.length} file${r.files.length > 1 ? 's' : ''}, ${kib(total)})\n`);
  }),
};
