import { parseArgs } from 'node:util'
import {
  defaultTrainModel,
  MAX_FINE_TUNE_BLOCKS,
  MOBILENET_INPUT_SIZES,
  TRAIN_BACKENDS,
  TRAIN_MODELS,
  TRAIN_OPTIMIZERS,
  TRAIN_QUANTIZE,
  type TrainModel
} from '../contract/train-settings'
import type { RunSummary, TrainSettings } from '../contract/types'
import { logRootOf } from '../core/run-folders'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { runCliJob } from './job-session'
import { cliPath, CliFailure, printJson, unwrap, UsageError } from './output'
import type { Services } from '../services/services'

function numberOption(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) throw new UsageError(`--${name} must be a number, got ${value}`)
  return parsed
}

/** `pictor train`: the same training job the Train view starts, in a worker, with progress on stderr. */
export const trainCommand: Command = {
  name: 'train',
  usage:
    `pictor train --project FILE [--model ${TRAIN_MODELS.join('|')}] [--epochs N] [--batch B] [--lr R] ` +
    `[--optimizer ${TRAIN_OPTIMIZERS.join('|')}] [--size PX] [--grayscale] [--augment] [--batch-norm] [--dropout R] ` +
    `[--class-weights] [--oversample] [--patience N] [--seed N] [--backend ${TRAIN_BACKENDS.join('|')}] ` +
    `[--input-size auto|${MOBILENET_INPUT_SIZES.join('|')}] [--quantize ${TRAIN_QUANTIZE.join('|')}] [--fine-tune-blocks 0-${MAX_FINE_TUNE_BLOCKS}] [--fine-tune-epochs N] [--fine-tune-lr R] ` +
    `[--log-dir DIR] [--histograms on|off] [--resume RUN] [--json]`,
  summary: 'train a model on the labeled images (a head on cached MobileNetV2 features when its weights are installed, else the seed CNN)',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        project: { type: 'string' },
        model: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        size: { type: 'string' },
        grayscale: { type: 'boolean' },
        augment: { type: 'boolean' },
        'batch-norm': { type: 'boolean' },
        dropout: { type: 'string' },
        'class-weights': { type: 'boolean' },
        oversample: { type: 'boolean' },
        patience: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        resume: { type: 'string' },
        'input-size': { type: 'string' },
        quantize: { type: 'string' },
        'fine-tune-blocks': { type: 'string' },
        'fine-tune-epochs': { type: 'string' },
        'fine-tune-lr': { type: 'string' },
        'log-dir': { type: 'string' },
        histograms: { type: 'string' },
        json: { type: 'boolean' }
      },
      strict: true
    })
    if (!values.project) throw new UsageError('train needs --project FILE')
    if (values.model !== undefined && !oneOf(TRAIN_MODELS, values.model)) {
      throw new UsageError(`--model ${values.model} is not a model Pictor trains (models: ${TRAIN_MODELS.join(', ')})`)
    }
    if (values.backend && !oneOf(TRAIN_BACKENDS, values.backend)) {
      throw new UsageError(`--backend must be one of ${TRAIN_BACKENDS.join(', ')}`)
    }
    if (values.optimizer && !oneOf(TRAIN_OPTIMIZERS, values.optimizer)) {
      throw new UsageError(`--optimizer must be ${TRAIN_OPTIMIZERS.join(' or ')}`)
    }
    if (values.quantize !== undefined && !oneOf(TRAIN_QUANTIZE, values.quantize)) {
      throw new UsageError(`--quantize must be one of ${TRAIN_QUANTIZE.join(', ')}`)
    }
    const inputSize = values['input-size']
    if (inputSize !== undefined && inputSize !== 'auto' && !MOBILENET_INPUT_SIZES.some((size) => String(size) === inputSize)) {
      throw new UsageError(`--input-size must be auto or one of ${MOBILENET_INPUT_SIZES.join(', ')}`)
    }
    if (values.histograms !== undefined && values.histograms !== 'on' && values.histograms !== 'off') {
      throw new UsageError('--histograms must be on or off (default: on for small models)')
    }
    if (values.resume !== undefined && (values['log-dir'] !== undefined || values.histograms !== undefined)) {
      throw new UsageError('a resumed run keeps its log folder and histogram choice: drop --log-dir and --histograms')
    }
    const logs = {
      logRoot: values['log-dir'] === undefined ? null : cliPath(values['log-dir']),
      histograms: values.histograms === undefined ? null : values.histograms === 'on'
    }
    const settings: Partial<TrainSettings> = Object.fromEntries(
      Object.entries({
        epochs: numberOption(values.epochs, 'epochs', true),
        batchSize: numberOption(values.batch, 'batch', true),
        learningRate: numberOption(values.lr, 'lr', false),
        optimizer: values.optimizer,
        imageSize: numberOption(values.size, 'size', true),
        channels: values.grayscale ? 1 : undefined,
        augment: values.augment,
        batchNorm: values['batch-norm'],
        dropout: numberOption(values.dropout, 'dropout', false),
        classWeights: values['class-weights'],
        oversample: values.oversample,
        patience: numberOption(values.patience, 'patience', true),
        // Weight initialisation, shuffling, augmentation and dropout draw from it: the same seed repeats a run.
        seed: numberOption(values.seed, 'seed', true),
        backend: values.backend,
        inputSize: inputSize === undefined ? undefined : inputSize === 'auto' ? 'auto' : Number(inputSize),
        quantize: values.quantize,
        fineTuneBlocks: numberOption(values['fine-tune-blocks'], 'fine-tune-blocks', true),
        fineTuneEpochs: numberOption(values['fine-tune-epochs'], 'fine-tune-epochs', true),
        fineTuneLearningRate: numberOption(values['fine-tune-lr'], 'fine-tune-lr', false)
      }).filter(([, value]) => value !== undefined)
    )

    const services = cliServices()
    try {
      unwrap(await services.call('project.open', { path: cliPath(values.project) }))
      const resume = numberOption(values.resume, 'resume', true)
      // A resumed run keeps its own settings; a new one without --model gets the Train view's default.
      if (resume === undefined) settings.model = (values.model as TrainModel | undefined) ?? (await defaultModel(services, values.json === true))
      const {
        started: { runId },
        outcome
      } = await runCliJob(
        services,
        async () =>
          unwrap(resume === undefined ? await services.call('train.start', { settings, ...logs }) : await services.call('train.resume', { runId: resume })),
        (progress) => {
          if (values.json) return
          if (progress.detail?.epochMetrics) process.stderr.write(`${progress.message}\n`)
          if (progress.detail?.notice) process.stderr.write(`${progress.detail.notice}\n`)
        }
      )
      const run = unwrap(await services.call('runs.list', {})).find((candidate) => candidate.id === runId)
      if (outcome.state === 'failed' || !run) throw new CliFailure(outcome.message)
      const result = resultObject(run)
      if (values.json) printJson(result)
      else printSummary(run, result)
      return outcome.state === 'cancelled' ? 1 : 0
    } finally {
      services.close()
    }
  }
}

/** The model the Train view would pick (defaultTrainModel), said on stderr so a newcomer knows which one runs and why. */
async function defaultModel(services: Services, quiet: boolean): Promise<TrainModel> {
  const installed = unwrap(await services.call('models.list', {})).some((model) => model.installed)
  const model = defaultTrainModel(installed)
  if (!quiet) {
    process.stderr.write(
      installed
        ? 'Model: MobileNetV2 (its weights are installed; --model cnn trains the small CNN instead)\n'
        : 'Model: the seed CNN (MobileNetV2 is not installed; `pictor models fetch` or `pictor models import FILE` installs it, usually for much better accuracy)\n'
    )
  }
  return model
}

function oneOf(choices: readonly string[], value: string | undefined): boolean {
  return value !== undefined && choices.includes(value)
}

function resultObject(run: RunSummary) {
  return {
    runId: run.id,
    status: run.status,
    backend: run.backend,
    model: run.modelKind,
    epochs: run.summary?.epochsRun ?? run.epochs.length,
    valAccuracy: run.summary?.valAccuracy ?? null,
    testAccuracy: run.summary?.testAccuracy ?? null,
    imagesPerSecond: run.summary?.imagesPerSecond ?? null,
    classes: run.classNames,
    history: run.epochs,
    notes: run.summary?.notes ?? [],
    /** The run's TensorBoard folder: `tensorboard --logdir <its parent>` shows it beside the project's other runs. */
    logDir: run.logDir
  }
}

function printSummary(run: RunSummary, result: ReturnType<typeof resultObject>): void {
  const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`)
  console.log(`Run ${run.id} (${run.modelKind} on ${run.backend}): ${run.status}`)
  console.log(`  epochs ${result.epochs}, ${result.imagesPerSecond ?? '—'} images/s`)
  console.log(`  validation accuracy ${percent(result.valAccuracy)}, test accuracy ${percent(result.testAccuracy)}`)
  for (const note of result.notes) console.log(`  note: ${note}`)
  if (run.logDir) console.log(`  TensorBoard logs: ${run.logDir}  (tensorboard --logdir ${logRootOf(run.logDir)})`)
}
