// Everything the report shows, gathered from the project into one plain object (no markup): the
// renderer (report-html.ts) only formats it, and tests can check the numbers without parsing HTML.
import type { Database } from 'better-sqlite3'
import type { ClassMetrics, Evaluation, RobustnessReport, RunSummary } from '../contract/types'
import { loadDatasetSource, type DatasetSource } from '../db/queries/dataset-rows'
import { listLabelIssues } from '../db/queries/label-issues'
import { getLabelIssueScan } from '../db/queries/label-issue-scans'
import { getProject } from '../db/queries/project'
import { getRobustnessReport } from '../db/queries/robustness-reports'
import { getRunEvaluation } from '../db/queries/run-evaluations'
import { loadSplitInputs } from '../db/queries/splits'
import { planDataset, splitFolders, type SplitFolder } from '../dataset/dataset-plan'
import { datasetStats, leakageStats, type LeakageStats } from '../dataset/dataset-stats'
import { evaluationReport } from '../review/evaluate-report'
import { cellItems } from '../review/review-items'
import { describeModel, type InputInfo, type ModelInfo } from './report-model'
import { knownLimits } from './report-limits'
import { thumbnailUri } from './report-thumbnails'
import { wilson, type Interval } from './wilson'

/** Most confused pairs shown, and images shown for each. */
const PAIRS = 5
const THUMBNAILS_PER_PAIR = 4

export interface ClassReport extends ClassMetrics {
  /** Images predicted as this class (precision's denominator). */
  predicted: number
  correct: number
  precisionInterval: Interval | null
  recallInterval: Interval | null
}

export interface ConfusedPair {
  trueName: string
  predictedName: string
  count: number
  images: { relPath: string; uri: string | null }[]
}

export interface SplitMetrics {
  split: 'test' | 'val'
  evaluation: Evaluation
  correct: number
  accuracyInterval: Interval | null
  perClass: ClassReport[]
  confusedPairs: ConfusedPair[]
}

export interface DataCard {
  splits: SplitFolder[]
  /** Labeled, readable images per class (current labels) and split folder. */
  classes: { name: string; counts: Partial<Record<SplitFolder, number>>; total: number }[]
  labelOrigins: [string, number][]
  splitOrigins: [string, number][]
  exactDuplicates: { groups: number; images: number }
  leakage: LeakageStats
  flagged: number
  leftOut: { failed: number; missing: number; unlabeled: number }
}

export interface LabelIssueSummary {
  computedAt: number
  folds: number
  examined: number
  found: number
  relabeled: number
  kept: number
  pending: number
}

export interface ReportData {
  generatedAt: number
  project: { name: string; path: string }
  run: RunSummary
  model: ModelInfo
  input: InputInfo | null
  data: DataCard
  /** Test first, then validation; a split without an evaluation row is left out. */
  metrics: SplitMetrics[]
  robustness: RobustnessReport | null
  labelIssues: LabelIssueSummary | null
  limits: string[]
}

export interface GatherOptions {
  projectPath: string
  thumbnailsDir: string | null
  signal: AbortSignal
  /** Called before each confused pair's thumbnails are read (the slow part on a large report). */
  onStep?: (message: string) => void
}

export async function gatherReportData(db: Database, run: RunSummary, options: GatherOptions): Promise<ReportData> {
  const { model, input } = describeModel(db, run)
  const source = loadDatasetSource(db)
  const data = dataCard(db, source)
  const metrics: SplitMetrics[] = []
  for (const split of ['test', 'val'] as const) {
    const evaluation = evaluationReport(db, run.id, split)
    if (!evaluation) continue
    options.signal.throwIfAborted()
    options.onStep?.(`Reading the ${split === 'test' ? 'test' : 'validation'} split's most confused images…`)
    metrics.push(await splitMetrics(db, evaluation, options))
  }
  return {
    generatedAt: Date.now(),
    project: { name: getProject(db)?.name ?? 'Untitled project', path: options.projectPath },
    run,
    model,
    input,
    data,
    metrics,
    robustness: getRobustnessReport(db, run.id),
    labelIssues: labelIssueSummary(db),
    limits: knownLimits({ run, input, rows: source.rows, data, metrics, imported: model.imported !== null })
  }
}

function dataCard(db: Database, source: DatasetSource): DataCard {
  const plan = planDataset(source, { split: 'all', includeUnlabeled: false })
  const splits = splitFolders(plan)
  const stats = datasetStats(source.rows)
  return {
    splits,
    classes: plan.classes.map(({ name }) => {
      const counts = Object.fromEntries(splits.map((split) => [split, plan.counts[split]?.[name] ?? 0]))
      return { name, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) }
    }),
    labelOrigins: [...stats.labelOrigins],
    splitOrigins: [...stats.splitOrigins],
    exactDuplicates: { groups: stats.exactDuplicateGroups.length, images: stats.exactDuplicateGroups.reduce((a, b) => a + b, 0) },
    leakage: leakageStats(loadSplitInputs(db)),
    flagged: stats.flagged,
    leftOut: { failed: plan.leftOut.failed, missing: plan.leftOut.missing, unlabeled: plan.leftOut.unlabeled }
  }
}

async function splitMetrics(db: Database, evaluation: Evaluation, options: GatherOptions): Promise<SplitMetrics> {
  const { confusion } = evaluation
  const correct = confusion.reduce((sum, row, index) => sum + row[index]!, 0)
  const perClass = evaluation.perClass.map((metrics, index) => {
    const predicted = confusion.reduce((sum, row) => sum + row[index]!, 0)
    const hits = confusion[index]![index]!
    return { ...metrics, predicted, correct: hits, precisionInterval: wilson(hits, predicted), recallInterval: wilson(hits, metrics.support) }
  })
  return {
    split: evaluation.split as 'test' | 'val',
    evaluation,
    correct,
    accuracyInterval: wilson(correct, evaluation.count),
    perClass,
    confusedPairs: await confusedPairs(db, evaluation, options)
  }
}

/** The largest off-diagonal cells, each with a few of its images (most confident mistakes first). */
async function confusedPairs(db: Database, evaluation: Evaluation, options: GatherOptions): Promise<ConfusedPair[]> {
  const stored = getRunEvaluation(db, evaluation.runId)
  if (!stored) return []
  const cells = evaluation.confusion
    .flatMap((row, t) => row.map((count, p) => ({ t, p, count })))
    .filter(({ t, p, count }) => t !== p && count > 0)
    .sort((a, b) => b.count - a.count || a.t - b.t || a.p - b.p)
    .slice(0, PAIRS)
  const pairs: ConfusedPair[] = []
  for (const { t, p, count } of cells) {
    options.signal.throwIfAborted()
    const items = cellItems(db, stored, {
      split: evaluation.split,
      trueClassId: evaluation.classIds[t]!,
      predictedClassId: evaluation.classIds[p]!,
      limit: THUMBNAILS_PER_PAIR
    })
    const images = []
    for (const item of items) images.push({ relPath: item.relPath, uri: await thumbnailUri(db, item, options.thumbnailsDir) })
    pairs.push({ trueName: evaluation.labels[t]!, predictedName: evaluation.labels[p]!, count, images })
  }
  return pairs
}

function labelIssueSummary(db: Database): LabelIssueSummary | null {
  const scan = getLabelIssueScan(db)
  if (!scan) return null
  const issues = listLabelIssues(db)
  const count = (decision: string) => issues.filter((issue) => issue.decision === decision).length
  return {
    computedAt: scan.computedAt,
    folds: scan.folds,
    examined: scan.examined,
    found: issues.length,
    relabeled: count('accepted'),
    kept: count('rejected'),
    pending: count('pending')
  }
}
