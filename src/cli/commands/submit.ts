/**
 * nst submit --redis URL --model CKPT INPUT... --out DIR [--wait]                 one stylize job per image
 * nst submit --redis URL --style PAINTING INPUT... --out DIR [--wait]             arbitrary style (AdaIN), as nst stylize
 * nst submit --redis URL --train --style S.jpg... --data DIR --out RUNS [--wait]  one training job per style image
 *
 * Argument handling and reporting only. Options are declared once: the queue's in src/queue/options.ts, the stylize
 * ones in src/infer/stylize-options.ts, the training ones in src/train/config.ts (flags derived from all three);
 * planning, queueing and waiting are src/queue/submit.ts. With --wait every input gets one line (its output, or why
 * it failed) and the exit code is 1 if any failed.
 */
import * as path from 'path';
import { SingleBar, Presets } from 'cli-progress';
import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors';
import { expandStyles } from '../../infer/open-arbitrary';
import { StylizeCommandOptionsSchema, type StylizeCommandOptionsInput } from '../../infer/stylize-options';
import {
  enqueue,
  JobOutcome,
  newBatchId,
  planStylizeJobs,
  planTrainJobs,
  redactUrl,
  SubmitOptionsSchema,
  type SubmitOptionsInput,
  type SubmitPlan,
  waitForJobs,
} from '../../queue';
import { TrainConfigSchema, type TrainConfigInput } from '../../train/config';
import { flagOf, parseOrUsageError } from '../../util/flag-names';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { handler } from '../run';

export type SubmitArgs = ArgsOf<SubmitOptionsInput> &
  ArgsOf<StylizeCommandOptionsInput> &
  ArgsOf<Omit<TrainConfigInput, 'style' | 'out'>> & {
    inputs?: string[];
    progress?: boolean;
  };

/** Exit codes, as nst stylize's: 0 every input written (or queued), 1 some failed or were skipped, 2 usage. */
export const EXIT_ALL_DONE = 0;
export const EXIT_SOME_FAILED = 1;

async function plan(args: SubmitArgs, train: boolean): Promise<SubmitPlan> {
  const batch = newBatchId();
  if (!args.out) throw new UsageError('--out DIR is required: the folder that receives the outputs (shared by every worker)');
  if (train) {
    const styles = configFromArgs(StylizeCommandOptionsSchema, args).style;
    if (!styles?.length) throw new UsageError('--train needs --style IMAGE (repeat it, or name a folder: one training job per style image)');
    if ((args.inputs ?? []).length > 0) throw new UsageError(`--train takes its photos from --data, not as arguments (got ${args.inputs![0]})`);
    const { style: _style, out: _out, ...config } = configFromArgs(TrainConfigSchema, args);
    if (!config.data?.length) throw new UsageError('--train needs --data DIR_OR_GLOB: the photos to train on');
    if (args.iterations !== undefined && args.epochs !== undefined) throw new UsageError('give --epochs or --iterations, not both');
    return planTrainJobs(await expandStyles(styles), config, args.out, batch, flagOf);
  }
  const o = parseOrUsageError(StylizeCommandOptionsSchema, configFromArgs(StylizeCommandOptionsSchema, args), 'nst submit', flagOf);
  if ((args.inputs ?? []).length === 0) throw new UsageError('name at least one input image, folder or glob');
  if (!o.style?.length && !o.model) throw new UsageError('give --model CKPT (a trained style) or --style IMAGE (any painting, with the AdaIN model)');
  return planStylizeJobs(args.inputs!, o, batch);
}

/** One line per input, like nst stylize's: `in -> out (WxH, ms, worker)` or `nst: failed in: reason`. */
export function formatOutcome(o: JobOutcome): string {
  if (!o.ok) return `nst: failed ${o.reason.includes(o.subject) ? o.reason : `${o.subject}: ${o.reason}`}`;
  const r = o.result;
  if (r.kind === 'train') return `${o.subject} -> ${r.checkpointDir} (${r.step}/${r.totalSteps} steps, ${r.worker})`;
  const tiles = r.tiles > 1 ? `, ${r.tiles} tiles` : '';
  return `${o.subject} -> ${r.output} (${r.width}x${r.height}${tiles}, ${r.ms} ms, ${r.worker})${r.note ? `; ${r.note}` : ''}`;
}

export async function runSubmit(args: SubmitArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const q = parseOrUsageError(SubmitOptionsSchema, configFromArgs(SubmitOptionsSchema, args), 'nst submit', flagOf);
  const p = await plan(args, q.train);
  for (const s of p.skipped) log(`nst: skipped ${s.input}: ${s.reason}`);
  if (p.jobs.length === 0) {
    log('nst: nothing to submit');
    return EXIT_SOME_FAILED;
  }
  const jobs = await enqueue(q, p, q);
  log(`nst: submitted ${jobs.length} ${q.train ? 'training' : 'stylize'} job${jobs.length === 1 ? '' : 's'} (batch ${p.batch}) to queue '${q.queue}' at ${redactUrl(q.redis)}`);
  if (!q.wait) {
    log(`nst: follow them with: nst status --redis ${redactUrl(q.redis)}${q.queue === 'nst' ? '' : ` --queue ${q.queue}`}`);
    return p.skipped.length ? EXIT_SOME_FAILED : EXIT_ALL_DONE;
  }

  // A bar over the jobs on an interactive stderr; each running job's tiles or steps count as a fraction of one.
  const bar = args.progress !== false && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: '{bar} {percentage}% | {done}/{total} jobs {last}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic) : undefined;
  const partial = new Map<string, number>();
  let finished = 0;
  const SCALE = 100;
  const render = (last: string) => bar?.update(finished * SCALE + [...partial.values()].reduce((a, b) => a + b, 0) * SCALE, { done: finished, last });
  bar?.start(jobs.length * SCALE, 0, { done: 0, total: jobs.length, last: '' });
  const say = (line: string) => {
    if (!bar) return log(line);
    bar.stop();
    log(line);
    bar.start(jobs.length * SCALE, 0, { done: finished, total: jobs.length, last: '' });
    render('');
  };
  const start = Date.now();
  let outcomes: JobOutcome[];
  try {
    outcomes = await waitForJobs(q, jobs, {
      onProgress: (job, pr) => {
        partial.set(job.id, pr.total > 0 ? Math.min(1, pr.done / pr.total) : 0);
        render(`${path.basename(job.subject)} ${pr.done}/${pr.total} ${pr.unit}`);
      },
      onDone: (o, n) => {
        partial.delete(o.id);
        finished = n;
        say(formatOutcome(o));
      },
    });
  } finally {
    bar?.stop();
  }
  const failed = outcomes.filter((o) => !o.ok).length + p.skipped.length;
  const seconds = (Date.now() - start) / 1000;
  const done = outcomes.length - outcomes.filter((o) => !o.ok).length;
  log(`nst: ${done} done${failed ? `, ${failed} failed` : ''} in ${seconds.toFixed(1)} s (${(done / Math.max(seconds, 1e-3)).toFixed(2)} jobs/s)`);
  return failed > 0 ? EXIT_SOME_FAILED : EXIT_ALL_DONE;
}

/** Every flag once: the queue's, nst stylize's (but -o FILE: a queue writes into --out DIR), and nst train's that are not also stylize's. */
function submitOptions(): { options: Record<string, Options>; queue: string[]; train: string[] } {
  const queue = optionsFromSchema(SubmitOptionsSchema);
  const stylize = optionsFromSchema(StylizeCommandOptionsSchema, {
    model: { alias: 'm' },
    output: false,
    // Repeat the flag for several styles (an array option would swallow the inputs after it).
    style: { array: false, describe: 'arbitrary style: stylize like this painting (AdaIN); with --train: train a network for it (repeat, or a folder: one job each)' },
    out: { describe: 'folder for the outputs, keeping the input names (with --train: one run folder per style, named after it)' },
  });
  const train = Object.fromEntries(Object.entries(optionsFromSchema(TrainConfigSchema, { style: false, out: false })).filter(([flag]) => !(flag in stylize)));
  return { options: { ...queue, ...stylize, ...train }, queue: Object.keys(queue), train: Object.keys(train) };
}

const SUBMIT = submitOptions();

export const submitCommand: CommandModule<object, SubmitArgs> = {
  command: 'submit [inputs..]',
  describe: 'queue stylize jobs (one per image) or training jobs (one per style) for nst worker processes, on any machines',
  builder: (y: Argv) =>
    withOptionGroups(
      y.positional('inputs', { type: 'string', array: true, describe: 'image files, folders or quoted globs (as nst stylize)' }),
      SUBMIT.options,
      'Stylize options:',
      { 'Queue options:': SUBMIT.queue, 'Training job options (with --train):': SUBMIT.train },
    )
      .option('progress', { type: 'boolean', default: true, describe: 'with --wait: progress bar on stderr (--no-progress to hide)' })
      .example('$0 submit --redis redis://queue-host:6379 -m /shared/models/udnie /shared/photos --out /shared/styled --wait', 'one job per photo, wait for all')
      .example('$0 submit --redis redis://queue-host:6379 --style /shared/starry.jpg /shared/photos --out /shared/starry', 'arbitrary style (AdaIN)')
      .example('$0 submit --redis redis://queue-host:6379 --train --style /shared/styles/ --data /shared/coco --out /shared/runs --iterations 4000', 'one training job per style image')
      .epilogue(
        'Paths are made absolute and must mean the same files on every worker (a shared mount). ' +
          'Failed jobs are retried --attempts times, waiting --backoff ms and then twice as long each time; bad inputs fail at once. ' +
          'Exit code with --wait: 0 when every input was written, 1 when any failed or was skipped, 2 for a usage error. See docs/serve.md, "Queued jobs".',
      ) as unknown as Argv<SubmitArgs>,
  handler: handler(async (args: SubmitArgs) => runSubmit(args)),
};
