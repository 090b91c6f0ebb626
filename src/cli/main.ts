import yargs from 'yargs';
import { doctorCommand } from './commands/doctor';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { optimizeCommand } from './commands/optimize';
import { stylizeCommand } from './commands/stylize';
import { trainCommand } from './commands/train';
import { trainAdainCommand } from './commands/train-adain';
import { weightsCommand } from './commands/weights';

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('nst')
    .usage('$0 <command> [options]\n\nFast neural style transfer: train a style network, stylize photos, export models.')
    .command(trainCommand)
    .command(trainAdainCommand)
    .command(stylizeCommand)
    .command(optimizeCommand)
    .command(importCommand)
    .command(exportCommand)
    .command(weightsCommand)
    .command(doctorCommand)
    .demandCommand(1, 'Name a command: nst <command> --help shows its options.')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`nst: error: ${msg}\nRun nst --help for usage.\n`);
      process.exit(2);
    });
}

export async function main(argv: string[]): Promise<void> {
  await buildCli(argv).parseAsync();
}
