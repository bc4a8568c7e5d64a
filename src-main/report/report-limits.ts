// "Known limits": what the numbers cannot promise, derived from the data rather than written by hand,
// so the report says it for every run: small images blown up, classes too small to measure, labels
// changed since training, imbalance, a missing test split.
import type { RunSummary } from '../contract/types'
import type { DatasetRow } from '../db/queries/dataset-rows'
import type { DataCard, SplitMetrics } from './report-data'
import type { InputInfo } from './report-model'

/** Below this many test images a class's precision and recall intervals are wider than ±20 points or so. */
export const FEW_TEST_IMAGES = 20
/** From this ratio of largest to smallest training class on, imbalance is worth a line. */
const IMBALANCE_RATIO = 3

export interface LimitsInput {
  run: RunSummary
  input: InputInfo | null
  rows: readonly DatasetRow[]
  data: DataCard
  metrics: readonly SplitMetrics[]
  imported: boolean
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`
const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`

export function knownLimits({ run, input, rows, data, metrics, imported }: LimitsInput): string[] {
  const limits: string[] = []
  const labeled = rows.filter((row) => row.classId !== null)
  if (input && labeled.length > 0) {
    const small = labeled.filter((row) => row.width !== null && row.height !== null && (row.width < input.width || row.height < input.height)).length
    const size = input.width === input.height ? `${input.width} px` : `${input.width}×${input.height} px`
    if (small > 0) {
      limits.push(`${plural(small, 'labeled image')} (${percent(small, labeled.length)}) are smaller than the model's input size (${size}) and were upscaled: fine detail the model sees there is interpolated.`)
    }
  }

  const test = metrics.find((entry) => entry.split === 'test')
  if (!test || test.evaluation.count === 0) {
    limits.push('No test split: the only held-out figures are on the validation split, which also chose the best epoch, so they are optimistic.')
  } else {
    const few = test.perClass.filter((entry) => entry.support < FEW_TEST_IMAGES)
    if (few.length > 0) {
      const names = few.map((entry) => `${entry.name} (${entry.support})`).join(', ')
      limits.push(`${plural(few.length, 'class', 'classes')} ${few.length === 1 ? 'has' : 'have'} fewer than ${FEW_TEST_IMAGES} test images, so their precision and recall have wide intervals: ${names}.`)
    }
  }

  for (const entry of metrics) {
    const name = entry.split === 'test' ? 'test' : 'validation'
    if (entry.evaluation.stale) {
      limits.push(`Labels changed since this run trained: the ${name} figures score the old model against the new labels; retrain to learn them.`)
      break
    }
  }
  for (const entry of metrics) {
    if (entry.evaluation.unscored > 0) {
      limits.push(`${plural(entry.evaluation.unscored, 'labeled image')} of the ${entry.split === 'test' ? 'test' : 'validation'} split have no prediction (labeled or imported after the evaluation) and are not counted.`)
    }
  }

  const train = data.classes.map((entry) => ({ name: entry.name, count: entry.counts.train ?? 0 }))
  const empty = train.filter((entry) => entry.count === 0)
  if (data.splits.includes('train') && empty.length > 0) {
    limits.push(`No training images for ${empty.map((entry) => entry.name).join(', ')} (current labels).`)
  } else if (train.length > 1) {
    const largest = train.reduce((a, b) => (b.count > a.count ? b : a))
    const smallest = train.reduce((a, b) => (b.count < a.count ? b : a))
    const ratio = largest.count / smallest.count
    if (ratio >= IMBALANCE_RATIO) {
      limits.push(`Imbalanced training data: ${largest.name} has ${ratio.toFixed(1)}× as many training images as ${smallest.name} (${largest.count} against ${smallest.count})${run.settings.classWeights || run.settings.oversample ? '; the run compensated with class weights or oversampling' : ''}.`)
    }
  }

  if (data.leakage.split > 0) {
    limits.push(`${plural(data.leakage.split, 'group')} of near-duplicate images span more than one split (set by folders or by hand): the model may be scored on copies of what it trained on.`)
  }
  if (imported) limits.push('Trained outside Pictor: its training data, settings and curves are not known here; only its evaluation on this project is.')
  return limits
}
