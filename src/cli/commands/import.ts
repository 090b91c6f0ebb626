/**
 * nst import FILE_OR_DIR --out checkpoints/NAME [--force]
 * Converts a style network made by another tool into an nst checkpoint (library: src/importers).
 */
import type { Argv, CommandModule } from 'yargs';
import { importToCheckpoint } from '../../importers';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

interface ImportArgs extends BackendArgs {
  source: string;
  out: string;
  force?: boolean;
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <source>',
  describe: 'import a style model made by another tool (PyTorch .pth, deeplearn.js/ml5 manifest) as an nst checkpoint',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .positional('source', {
          type: 'string',
          demandOption: true,
          describe: 'a pytorch/examples fast_neural_style .pth state_dict, or a deeplearn.js/ml5 checkpoint folder (manifest.json)',
        })
        .option('out', { type: 'string', demandOption: true, describe: 'checkpoint folder to write, e.g. checkpoints/udnie' })
        .option('force', { type: 'boolean', default: false, describe: 'replace an existing checkpoint at --out' }),
    )
      .example('$0 import saved_models/udnie.pth --out checkpoints/udnie', 'a pytorch/examples model')
      .example('$0 import ml5-models/wave --out checkpoints/wave', 'a deeplearn.js / ml5 fast-style folder') as unknown as Argv<ImportArgs>,
  handler: handler(async (args: ImportArgs) => {
    await startBackend(args);
    const r = await importToCheckpoint(args.source, args.out, { force: args.force });
    const c = r.config;
    process.stdout.write(
      `imported ${r.format} network (width ${c.width}, ${c.residualBlocks} residual blocks, ${c.upsample} upsampling, ` +
        `${c.padding} padding, ${c.output} output) -> ${r.out}\n`,
    );
  }),
};
