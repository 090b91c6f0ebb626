import type { CommandModule } from 'yargs';
import { NotImplementedError } from '../../errors';
import { handler } from '../run';

/** A command whose issue has not landed yet: it exists so that --help documents the plan, and exits 2 when run. */
export function stubCommand(command: string, describe: string, issue: number): CommandModule {
  return {
    command,
    describe: `${describe} (not yet implemented, issue #${issue})`,
    builder: (y) => y,
    handler: handler(async () => {
      throw new NotImplementedError(`nst ${command.split(' ')[0]}`);
    }),
  };
}
