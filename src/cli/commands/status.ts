/**
 * nst status --redis URL [--queue NAME] [--failures N]
 *
 * What the queue holds: job counts by state, the connected workers, running jobs with their progress, the latest
 * failures with their reasons (src/queue/status.ts). Options declared once, in src/queue/options.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import { formatStatus, queueStatus, StatusOptionsSchema, type StatusOptionsInput } from '../../queue';
import { flagOf, parseOrUsageError } from '../../util/flag-names';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { handler } from '../run';

export type StatusArgs = ArgsOf<StatusOptionsInput>;

export async function runStatus(args: StatusArgs, print: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const options = parseOrUsageError(StatusOptionsSchema, configFromArgs(StatusOptionsSchema, args), 'nst status', flagOf);
  for (const line of formatStatus(await queueStatus(options))) print(line);
  return 0;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'show the job queue: counts by state, workers, running jobs, recent failures',
  builder: (y: Argv) =>
    withOptionGroups(y, optionsFromSchema(StatusOptionsSchema), 'Status options:', {}).example(
      '$0 status --redis redis://queue-host:6379',
      'how far a submitted batch has got',
    ) as unknown as Argv<StatusArgs>,
  handler: handler(async (args: StatusArgs) => runStatus(args)),
};
