// A run's TensorBoard trail in Keras's layout (issue 17): `<run folder>/train` holds the training
// scalars, the settings and the weight histograms, `<run folder>/validation` the validation scalars
// and the end-of-run images, with Keras's tag names, so `tensorboard --logdir <log root>` shows Pictor
// runs the way a user's Keras runs look. Written during training (tensorboard-logger.ts) and
// afterwards from what the project stored (`pictor runs logs`), by this one module.
import { join } from 'node:path'
import type { EpochMetrics } from '../contract/types'
import { argmax } from '../db/queries/predictions'
import { EventFileWriter, type EventFileWriterOptions } from '../tensorboard/event-file-writer'
import { confusionMatrixImage, imageGrid } from '../tensorboard/run-images'
import type { CollectedPredictions } from './loop/train-loop'

/** How many of the worst validation mistakes the end-of-run grid shows. */
export const WORST_MISTAKES = 16

/** What a run's settings text says, besides the settings themselves. */
export interface RunDescription {
  runId: number
  modelKind: string
  backend: string | null
  classNames: readonly string[]
  settings: Readonly<Record<string, unknown>>
  notes?: readonly string[]
}

/** What the end-of-run images show: the final confusion matrix and the worst mistakes, worst first. */
export interface EndOfRunImages {
  classNames: readonly string[]
  /** confusion[true][predicted] */
  confusion: readonly (readonly number[])[]
  worst: readonly { path: string; caption: string }[]
  /** The step the images are logged at: the run's last epoch. */
  step: number
}

export class RunLogWriters {
  private constructor(
    readonly dir: string,
    readonly train: EventFileWriter,
    readonly validation: EventFileWriter
  ) {}

  /** Opens (creating folders and files) both writers of a run's folder; throws the fs error. */
  static open(runDir: string, options?: EventFileWriterOptions): RunLogWriters {
    const train = EventFileWriter.open(join(runDir, 'train'), options)
    try {
      return new RunLogWriters(runDir, train, EventFileWriter.open(join(runDir, 'validation'), options))
    } catch (error) {
      train.close()
      throw error
    }
  }

  /** The settings as a markdown table (TensorBoard's Text tab), at the step training starts from. */
  describe(run: RunDescription, step: number): void {
    this.train.text('settings', settingsMarkdown(run), step)
    this.train.flush()
  }

  /** One epoch's scalars in both folders (Keras's epoch_* tags), on disk when this returns. */
  epoch(metrics: EpochMetrics, learningRate: number): void {
    const step = metrics.epoch
    this.train.scalar('epoch_loss', metrics.loss, step)
    this.train.scalar('epoch_accuracy', metrics.accuracy, step)
    this.train.scalar('epoch_learning_rate', learningRate, step)
    this.train.scalar('images_per_second', metrics.imagesPerSecond, step)
    if (metrics.valLoss !== null) this.validation.scalar('epoch_loss', metrics.valLoss, step)
    if (metrics.valAccuracy !== null) this.validation.scalar('epoch_accuracy', metrics.valAccuracy, step)
    this.flush()
  }

  /** Each weight's values as a histogram (Keras: `<weight name>/histogram` in the train folder). */
  histograms(weights: readonly { name: string; values: ArrayLike<number> }[], step: number): void {
    for (const weight of weights) this.train.histogram(`${weight.name}/histogram`, weight.values, step)
    this.train.flush()
  }

  /** The confusion matrix and a grid of the worst mistakes of the final evaluation, as images. */
  async endOfRun({ classNames, confusion, worst, step }: EndOfRunImages): Promise<void> {
    this.validation.image('confusion_matrix', await confusionMatrixImage(classNames, confusion), step)
    this.validation.image('worst_mistakes', await imageGrid(worst), step)
    this.flush()
  }

  flush(): void {
    this.train.flush()
    this.validation.flush()
  }

  close(): void {
    this.train.close()
    this.validation.close()
  }
}

export function settingsMarkdown(run: RunDescription): string {
  const cell = (value: unknown) => String(typeof value === 'string' ? value : JSON.stringify(value)).replaceAll('|', '\\|')
  const rows = Object.entries(run.settings).map(([key, value]) => `| ${key} | ${cell(value)} |`)
  const lines = [
    `**Pictor run ${run.runId}**: ${run.modelKind}${run.backend ? ` on ${run.backend}` : ''}, ${run.classNames.length} classes (${run.classNames.map(cell).join(', ')})`,
    '',
    '| setting | value |',
    '| --- | --- |',
    ...rows
  ]
  if (run.notes?.length) lines.push('', ...run.notes.map((note) => `- ${note}`))
  return lines.join('\n')
}

/** The end-of-run images of a final evaluation the loop collected (null when it had no rows). */
export function imagesFromPredictions(
  classNames: readonly string[],
  predictions: CollectedPredictions,
  pathOf: (imageId: number) => string | undefined,
  step: number
): EndOfRunImages | null {
  if (predictions.trueIndices.length === 0) return null
  const worst = worstMistakes(predictions, WORST_MISTAKES).map((mistake) => ({
    path: pathOf(mistake.imageId) ?? '',
    caption: mistakeCaption(classNames[mistake.trueIndex], classNames[mistake.predictedIndex], mistake.confidence)
  }))
  return { classNames, confusion: confusionOf(predictions, classNames.length), worst, step }
}

/** "cat → dog 0.93": the label, what the model said, and how sure it was. */
export function mistakeCaption(label: string | undefined, predicted: string | undefined, confidence: number): string {
  return `${label ?? '?'} → ${predicted ?? '?'} ${confidence.toFixed(2)}`
}

/** confusion[true][predicted] over the collected rows. */
export function confusionOf(predictions: CollectedPredictions, classCount: number): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  predictions.trueIndices.forEach((trueIndex, row) => {
    matrix[trueIndex]![argmax(predictions.probabilities[row]!).index]! += 1
  })
  return matrix
}

export interface Mistake {
  imageId: number
  trueIndex: number
  predictedIndex: number
  /** The probability of the wrong class the model chose. */
  confidence: number
  /** Cross-entropy of the true class: how wrong the model was. */
  loss: number
}

/** Misclassified rows, worst (highest loss) first. */
export function worstMistakes(predictions: CollectedPredictions, limit: number): Mistake[] {
  const mistakes: Mistake[] = []
  predictions.trueIndices.forEach((trueIndex, row) => {
    const probabilities = predictions.probabilities[row]!
    const predictedIndex = argmax(probabilities).index
    if (predictedIndex === trueIndex) return
    mistakes.push({
      imageId: predictions.imageIds[row]!,
      trueIndex,
      predictedIndex,
      confidence: probabilities[predictedIndex]!,
      loss: -Math.log(Math.max(probabilities[trueIndex]!, 1e-7))
    })
  })
  return mistakes.sort((a, b) => b.loss - a.loss).slice(0, limit)
}
