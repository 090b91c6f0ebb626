import type { CommandModule } from 'yargs';
import { NotImplementedError } from '../../errors';
import { handler } from '../run';

/** Commands whose issues have not landed yet: they exist so that --help documents the plan, and exit 2 when run. */
function stub(command: string, describe: string, issue: number): CommandModule {
  return {
    command,
    describe: `${describe} (not yet implemented, issue #${issue})`,
    builder: (y) => y,
    handler: handler(async () => {
      throw new NotImplementedError(`nst ${command.split(' ')[0]}`);
    }),
  };
}

export const stubCommands: CommandModule[] = [
  stub('train', 'train a style network on a folder of photos', 5),
  stub('stylize', 'apply a trained style model to images', 3),
  stub('export', 'export a checkpoint to ONNX or a TensorFlow.js web model', 6),
];
