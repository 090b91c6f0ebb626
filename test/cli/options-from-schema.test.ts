// CLI options derived from the zod schemas: flag names, types, choices, shown defaults, and what reaches the config.
import yargs from 'yargs';
import { z } from 'zod';
import { configFromArgs, optionsFromSchema } from '../../src/cli/options-from-schema';
import { runTrain, trainCommand, TrainArgs } from '../../src/cli/commands/train';
import { LOSS_NETS } from '../../src/losses/loss-network';
import { LOSS_OPTION_FIELDS } from '../../src/losses/options';
import { OptimizeConfigSchema, parseOptimizeConfig } from '../../src/optimize';
import { parseTrainConfig, TrainConfigSchema } from '../../src/train/config';

const Demo = z
  .object({
    imageSize: z.number().int().default(256).describe('crop size'),
    styleSize: z.number().optional().meta({ description: 'style size', defaultFrom: 'imageSize' }),
    lossNet: z.enum(['auto', 'vgg16']).default('auto'),
    data: z.array(z.string()).min(1),
    taps: z.array(z.string()).optional().meta({ list: 'comma', defaultDescription: 'a,b' }),
    verbose: z.boolean().default(false),
    perLayer: z.record(z.string(), z.number()).optional(),
  })
  .strict();

describe('optionsFromSchema', () => {
  const options = optionsFromSchema(Demo, { data: { alias: 'd', demandOption: true } });

  it('names each flag in kebab-case, with its type, array-ness, choices and description', () => {
    expect(options['image-size']).toEqual({ type: 'number', describe: 'crop size', defaultDescription: '256' });
    expect(options['loss-net']).toEqual({ type: 'string', choices: ['auto', 'vgg16'], defaultDescription: '"auto"' });
    expect(options.data).toEqual({ type: 'string', array: true, alias: 'd', demandOption: true });
    expect(options.verbose).toEqual({ type: 'boolean', defaultDescription: 'false' });
  });

  it('shows defaults without applying them, including ones described in the schema metadata', () => {
    for (const o of Object.values(options)) expect(o).not.toHaveProperty('default');
    expect(options['style-size'].defaultDescription).toBe('same as --image-size');
    expect(options.taps).toEqual({ type: 'string', defaultDescription: 'a,b' });
  });

  it('leaves fields with no flag syntax (records) off the command line', () => {
    expect(Object.keys(options).sort()).toEqual(['data', 'image-size', 'loss-net', 'style-size', 'taps', 'verbose']);
  });

  it('configFromArgs keeps only given schema fields, splits comma lists and wraps a lone array value', () => {
    expect(configFromArgs(Demo, { imageSize: 64, 'loss-net': 'vgg16', taps: 'a, b,,c', data: 'x', other: 1, verbose: undefined })).toEqual({
      imageSize: 64,
      lossNet: 'vgg16',
      taps: ['a', 'b', 'c'],
      data: ['x'],
    });
  });
});

describe('the loss options are declared once', () => {
  it('train and optimize share every loss field, with their own default weights', () => {
    for (const field of LOSS_OPTION_FIELDS) {
      expect(TrainConfigSchema.shape).toHaveProperty(field);
      expect(OptimizeConfigSchema.shape).toHaveProperty(field);
    }
    const train = parseTrainConfig({ style: 's', data: ['d'], out: 'o' });
    const optimize = parseOptimizeConfig({ content: 'c', style: 's', output: 'o.png' });
    expect([train.contentWeight, train.styleWeight, train.tvWeight]).toEqual([10, 5, 1]);
    expect([optimize.contentWeight, optimize.styleWeight, optimize.tvWeight]).toEqual([1, 5, 1]);
    expect(optionsFromSchema(TrainConfigSchema)['loss-net'].choices).toEqual(LOSS_NETS);
  });

  it('a training config as checkpoints store it still parses unchanged (so --resume of old runs works)', () => {
    const stored = {
      style: '/x/style.png', data: ['/x/photos'], out: '/x/run',
      contentWeight: 5, styleWeight: 5, tvWeight: 1,
      styleLayers: ['relu1_2', 'relu2_2'], contentLayer: 'relu2_2', styleLayerWeights: { relu1_2: 2 },
      lossScale: 'normalized', lr: 0.001, batchSize: 2, epochs: 2, iterations: 4, checkpointEvery: 2, previewEvery: 100,
      imageSize: 32, styleSize: 64, width: 0.25, seed: 5, lossNet: 'auto', lossWeights: '/x/vgg', crop: 'random',
      previewImages: ['/x/p.jpg'], previewCount: 2, prefetch: 2,
    };
    expect(parseTrainConfig(stored, 'stored')).toEqual(stored);
  });
});

describe('nst train arguments', () => {
  const parse = (argv: string[]) => configFromArgs(TrainConfigSchema, (trainCommand.builder as (y: ReturnType<typeof yargs>) => ReturnType<typeof yargs>)(yargs(argv)).parseSync());

  it('on --resume, options left out stay out (the checkpoint supplies them, not the schema defaults)', () => {
    expect(parse(['--resume', 'checkpoints/x', '--iterations', '10'])).toEqual({ iterations: 10 });
  });

  it('passes given flags through under their field names', () => {
    expect(parse(['--style', 's.jpg', '--data', 'a', 'b', '--style-layers', 'relu1_2,relu2_2', '--loss-net', 'vgg19', '--no-progress'])).toEqual({
      style: 's.jpg',
      data: ['a', 'b'],
      styleLayers: ['relu1_2', 'relu2_2'],
      lossNet: 'vgg19',
    });
  });

  it.each<[string, TrainArgs, RegExp]>([
    ['a fresh run', { style: 's.jpg', data: ['d'], out: 'o', batchSize: 0 }, /^nst train: --batch-size: /],
    ['a resumed run', { resume: 'checkpoints/x', imageSize: 8 }, /^nst train: --image-size: /],
    ['an empty tap list', { style: 's.jpg', data: ['d'], out: 'o', styleLayers: ' , ' }, /^nst train: --style-layers: name at least one tap/],
  ])('an invalid value in %s names its flag', async (_, args, message) => {
    await expect(runTrain(args, () => {})).rejects.toThrow(message);
  });
});
