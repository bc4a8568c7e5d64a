// Part 2 of `npm run bench:transfer`: one-click transfer learning through the product path, as a user
// runs it: `pictor create`, `pictor import FOLDER --json`, `pictor train --model mobilenetv2 --json`
// (child processes, a fresh data dir), then a relabel of some training images through the contract
// (Labeling.assign, the code behind the contract's `labels.assign`, on the project file; createServices
// itself cannot load under tsx: src-main/db/migrations.ts needs Vite's import.meta.glob) and the same
// `pictor train` again, which should find every feature in the project's cache and only train the head.
// Cold means a fresh data folder and no ONNX feature graph: the run gets its own PICTOR_DATA_DIR, whose
// cache (<data>/cache) is where the app keeps the graph, so the cold train builds it when its engine
// needs one. Which graphs exist before and after the cold train is recorded and printed, and the base
// model's folder (PICTOR_MODELS_DIR, ../shared by default: read-only) is checked to be untouched.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { listClassesWithCounts } from '../../src-main/db/queries/classes'
import { queryImageIds } from '../../src-main/db/queries/image-query'
import { Labeling } from '../../src-main/services/labeling'
import {
  assertModelsUntouched, featureGraphs, MODELS_DIR, modelsSnapshot, percent, PICTOR, prepareTransferFolder, runChild, seconds, type Settings, tail,
  type TransferFolder
} from './transfer-bench-common'

export const COLD_GOAL_S = 60
export const RELABEL_GOAL_S = 5
export const LONGER_EPOCHS = 100

interface ImportJson {
  imported: number
  failed: number
  duplicates: number
  splits: { train: number; val: number; test: number }
  durationMs: number
}

interface TrainJson {
  runId: number
  status: string
  backend: string | null
  epochs: number
  valAccuracy: number | null
  testAccuracy: number | null
  notes: string[]
  history: { epoch: number; loss: number; accuracy: number }[]
}

interface Extraction {
  total: number
  cached: number
  computed: number
  imagesPerSecond: number | null
  skipped: number
  /** What extracted: 'onnxruntime' or 'tfjs-<backend>'. */
  engine?: string
}

export interface TrainStep {
  wallMs: number
  result: TrainJson
  extraction: Extraction | null
  settings: Record<string, unknown> | null
  /** Sum of the recorded epochs' durations: the head's training loop. */
  headSeconds: number
}

export interface OneClickResult {
  dataset: TransferFolder
  createMs: number
  importMs: number
  imported: ImportJson
  cold: TrainStep
  relabel: { changed: number; ms: number; detail: string }
  retrain: TrainStep
  /** Context: the same data with more head epochs than the automatic choice. */
  longer: TrainStep | null
  /** ONNX feature graphs in the run's data folder before and after the cold train. */
  graphs: { before: string[]; after: string[] }
}

async function pictor(args: string[], env: NodeJS.ProcessEnv, heartbeat?: () => void) {
  const run = await runChild(process.execPath, [PICTOR, ...args], { env, ...(heartbeat ? { heartbeat, everyMs: 30_000 } : {}) })
  if (run.code !== 0) throw new Error(`pictor ${args[0]} exited ${run.code ?? run.signal}: ${tail(run.stderr || run.stdout)}`)
  return run
}

function readRun(project: string, runId: number): { extraction: Extraction | null; settings: Record<string, unknown> | null; headSeconds: number } {
  const db = new Database(project, { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare('SELECT summary FROM training_runs WHERE id = ?').get(runId) as { summary: string | null } | undefined
    const summary = row?.summary ? (JSON.parse(row.summary) as { transfer?: { extraction?: Extraction; settings?: Record<string, unknown> } }) : null
    const epochs = db.prepare('SELECT metrics FROM run_epochs WHERE run_id = ?').pluck().all(runId) as string[]
    const headSeconds = epochs.reduce((sum, metrics) => sum + ((JSON.parse(metrics) as { seconds?: number }).seconds ?? 0), 0)
    return { extraction: summary?.transfer?.extraction ?? null, settings: summary?.transfer?.settings ?? null, headSeconds }
  } finally {
    db.close()
  }
}

/** Rows in the feature cache so far (the training process commits one batch at a time). */
function cachedFeatures(project: string): number | null {
  try {
    const db = new Database(project, { readonly: true, fileMustExist: true })
    try {
      return db.prepare('SELECT count(*) FROM image_features').pluck().get() as number
    } finally {
      db.close()
    }
  } catch {
    return null
  }
}

async function train(project: string, env: NodeJS.ProcessEnv, label: string, extra: string[] = []): Promise<TrainStep> {
  const started = performance.now()
  const heartbeat = () => {
    const features = cachedFeatures(project)
    console.log(`    … ${label}: ${seconds(performance.now() - started)} so far` + (features === null ? '' : `, ${features} features in the project's cache`))
  }
  const run = await pictor(['train', '--project', project, '--model', 'mobilenetv2', ...extra, '--json'], env, heartbeat)
  const result = JSON.parse(run.stdout) as TrainJson
  if (result.status !== 'done') throw new Error(`${label}: the run ended ${result.status}: ${result.notes.join('; ')}`)
  return { wallMs: run.wallMs, result, ...readRun(project, result.runId) }
}

/**
 * Changes `count` labels of training images, spread over the classes (image k of class c → class c+1),
 * with the code the contract's labels.assign runs (one undoable action per target class).
 */
function relabel(project: string, count: number): OneClickResult['relabel'] {
  const started = performance.now()
  const db = new Database(project, { fileMustExist: true })
  try {
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    const labeling = new Labeling(() => db)
    const classes = listClassesWithCounts(db)
    const ids = classes.map((c) => queryImageIds(db, { status: 'ok', label: c.id, split: 'train', sort: 'name' }))
    const moves = new Map<number, number[]>() // target class id → image ids
    for (let k = 0; k < count; k++) {
      const from = k % classes.length
      const imageId = ids[from]![Math.floor(k / classes.length)]
      if (imageId === undefined) break
      const target = classes[(from + 1) % classes.length]!.id
      moves.set(target, [...(moves.get(target) ?? []), imageId])
    }
    let changed = 0
    for (const [classId, imageIds] of moves) changed += labeling.assign(imageIds, classId).imageIds.length
    const detail = `${moves.size} Labeling.assign call${moves.size === 1 ? '' : 's'} (class c → class c+1, ${classes.length} classes)`
    return { changed, ms: performance.now() - started, detail }
  } finally {
    db.close()
  }
}

export async function benchOneClick(settings: Settings): Promise<OneClickResult> {
  const models = await modelsSnapshot()
  const dataset = await prepareTransferFolder(settings.images, settings.test)
  console.log(`  dataset: ${dataset.folder} (train ${dataset.train}, test ${dataset.test}; ${dataset.classes.length} classes, no val/)`)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-transfer-run-'))
  try {
    const dataDir = join(work, 'data')
    const env = { ...process.env, PICTOR_DATA_DIR: dataDir, PICTOR_MODELS_DIR: MODELS_DIR }
    const project = join(work, 'transfer.pictor')

    const created = await pictor(['create', project, '--json'], env)
    const imported = await pictor(['import', dataset.folder, '--project', project, '--json'], env)
    const report = JSON.parse(imported.stdout) as ImportJson
    console.log(`  cold: create ${seconds(created.wallMs)}, import ${seconds(imported.wallMs)} (${report.imported} imported, ${report.failed} failed, ` +
      `${report.duplicates} duplicates; splits train ${report.splits.train} / val ${report.splits.val} / test ${report.splits.test})`)
    const graphsNow = async () => (await featureGraphs(dataDir)).map((path) => relative(work, path))
    const before = await graphsNow()
    if (before.length) throw new Error(`not a cold start: a feature graph exists before the cold train (${before.join(', ')})`)
    const cold = await train(project, env, 'cold train')
    const graphs = { before, after: await graphsNow() }
    console.log(`  cold: train ${seconds(cold.wallMs)}: ${describe(cold)}`)
    console.log(`  cold: ${graphNote({ graphs })}`)

    const changed = relabel(project, settings.relabel)
    console.log(`  relabel: ${changed.changed} labels changed in ${seconds(changed.ms)} through ${changed.detail}`)
    const retrain = await train(project, env, 'retrain')
    console.log(`  after relabel: train ${seconds(retrain.wallMs)}: ${describe(retrain)}`)
    if (retrain.extraction && retrain.extraction.computed > 0) console.log(`  NOTE: the retrain extracted ${retrain.extraction.computed} features; 0 expected`)
    // Context for the accuracy: does the head gain from more epochs than the automatic choice?
    const longer = await train(project, env, 'retrain, 100 epochs', ['--epochs', String(LONGER_EPOCHS)])
    console.log(`  context, --epochs ${LONGER_EPOCHS}: train ${seconds(longer.wallMs)}: ${describe(longer)}`)
    await assertModelsUntouched(models)
    return { dataset, createMs: created.wallMs, importMs: imported.wallMs, imported: report, cold, relabel: changed, retrain, longer, graphs }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

export function describe(step: TrainStep): string {
  const e = step.extraction
  const features = e
    ? `features ${e.computed} extracted` + (e.imagesPerSecond ? ` at ${e.imagesPerSecond.toFixed(1)} images/s` : '') + `, ${e.cached} from the cache` +
      (e.skipped ? `, ${e.skipped} unreadable` : '')
    : 'no extraction figures in the run summary'
  const s = step.settings
  const head = s ? `head: ${step.result.epochs} epochs (batch ${String(s.batchSize)}, lr ${String(s.learningRate)}, dropout ${String(s.dropout)}) in ${step.headSeconds.toFixed(1)} s` : `${step.result.epochs} epochs`
  const last = step.result.history.at(-1)
  const fit = last ? `last epoch loss ${last.loss.toFixed(3)}, train accuracy ${percent(last.accuracy)}; ` : ''
  return `${features}; ${head}; ${fit}test accuracy ${percent(step.result.testAccuracy)}, val ${percent(step.result.valAccuracy)}, backend ${step.result.backend ?? '?'}`
}

/** Where the wall time of one `pictor train` went, as far as the run records it. */
export function breakdown(step: TrainStep): string {
  const e = step.extraction
  const extractS = e && e.computed > 0 && e.imagesPerSecond ? e.computed / e.imagesPerSecond : 0
  const rest = step.wallMs / 1000 - extractS - step.headSeconds
  return `extraction ${extractS.toFixed(1)} s + head epochs ${step.headSeconds.toFixed(1)} s (each epoch recorded to 0.1 s) + ` +
    `everything else ${rest.toFixed(1)} s (process and worker start, backend and model load, reading features, evaluation, saving)`
}

/** Whether the cold train built the ONNX feature graph (in its timed part) and where it went. */
export function graphNote(r: Pick<OneClickResult, 'graphs'>): string {
  const { before, after } = r.graphs
  if (before.length) return `NOT COLD: a feature graph existed before the train (${before.join(', ')})`
  if (after.length === 0) return 'fresh data folder; no ONNX feature graph was built (TF.js extracted, or the graph was kept in memory)'
  return `fresh data folder, no graph before; the ONNX feature graph was built inside the timed train (${after.join(', ')}); the models folder untouched`
}
