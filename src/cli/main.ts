import yargs, { type CommandModule } from 'yargs';
import { doctorCommand } from './commands/doctor';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { optimizeCommand } from './commands/optimize';
import { statusCommand } from './commands/status';
import { serveCommand } from './commands/serve';
import { synthesizeCommand } from './commands/synthesize';
import { stylizeCommand } from './commands/stylize';
import { submitCommand } from './commands/submit';
import { trainCommand } from './commands/train';
import { trainAdainCommand } from './commands/train-adain';
import { weightsCommand } from './commands/weights';
import { workerCommand } from './commands/worker';

const COMMANDS = [
  trainCommand,
  trainAdainCommand,
  stylizeCommand,
  optimizeCommand,
  synthesizeCommand,
  importCommand,
  exportCommand,
  weightsCommand,
  doctorCommand,
  // Serving over HTTP, and queued jobs over Redis (#19).
  serveCommand,
  workerCommand,
  submitCommand,
  statusCommand,
];

/** The names (first word of each command's usage) a first positional argument may be. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => String(c.command).split(' ')[0]);

/** One line, exit 2: the shape of every command-line mistake. */
function usageFailure(message: string): never {
  process.stderr.write(`nst: error: ${message.replace(/\s*\n\s*/g, ' ')} (run nst --help for usage)\n`);
  process.exit(2);
}

/**
 * The first word that is not an option, when it is not a command. Checked before yargs parses, because yargs answers
 * `nst paint --help` with the top-level help and exit 0, as if the command existed.
 */
export function unknownCommand(argv: readonly string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  // 'help' is yargs' own word for the top-level help.
  return first !== undefined && first !== 'help' && !COMMAND_NAMES.includes(first) ? first : undefined;
}

export function buildCli(argv: string[]) {
  const unknown = unknownCommand(argv);
  if (unknown !== undefined) usageFailure(`unknown command '${unknown}': the commands are ${COMMAND_NAMES.join(', ')}`);
  const cli = yargs(argv)
    .scriptName('nst')
    .usage('$0 <command> [options]\n\nFast neural style transfer: train a style network, stylize photos, export models.');
  for (const command of COMMANDS) cli.command(command as CommandModule);
  return cli
    .demandCommand(1, 'Name a command: nst <command> --help shows its options.')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      usageFailure(msg);
    });
}

export async function main(argv: string[]): Promise<void> {
  await buildCli(argv).parseAsync();
}
