import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MethodName, RequestOf, ResponseOf } from '../../../src-main/contract/methods'
import type { ComparedRun } from '../../../src-main/contract/run-compare'
import type { JobProgress } from '../../../src-main/contract/types'
import { evaluationReport } from '../../../src-main/review/evaluate-report'
import { compareRuns } from '../../../src-main/services/compare-handlers'
import { createServices, type Services } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { type ImportSetup } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'

// runs.compare on a real project: two seed CNNs trained by the real train job with different
// settings, evaluated by the real evaluate job through the services, then compared.

let dir: string
let setup: ImportSetup
let services: Services
let first: number
let second: number

async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
  const envelope = await services.call(method, request)
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code}: ${envelope.error.message}`)
  return envelope.value
}

async function failureOf(request: unknown): Promise<{ code: string; message: string }> {
  const envelope = await services.dispatch('runs.compare', request)
  if (envelope.ok) throw new Error('runs.compare succeeded but should have failed')
  return envelope.error
}

/** Evaluates a run with the real job and waits for it to end. */
async function evaluate(runId: number): Promise<void> {
  const ended = new Promise<JobProgress>((resolve) => {
    const unsubscribe = services.events.subscribe((event) => {
      const progress = event.payload as JobProgress
      if (event.name === 'job.progress' && progress.kind === 'evaluate' && progress.state !== 'running') {
        unsubscribe()
        resolve(progress)
      }
    })
  })
  await call('review.evaluate', { runId })
  expect(await ended).toMatchObject({ state: 'done', message: expect.any(String) })
}

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-compare-')
  setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [8, 8], val: [2, 2], test: [4, 4] }))
  const train = async (overrides: Parameters<typeof trainSettings>[0]) => {
    const settings = trainSettings(overrides)
    const runId = queueRun(setup.projectPath, settings)
    await trainingJob({ projectPath: setup.projectPath, modelsDir: join(dir, 'models'), runId, settings, resume: false }, recordingContext())
    return runId
  }
  first = await train({ epochs: 1, learningRate: 0.003 })
  second = await train({ epochs: 2, learningRate: 0.01, dropout: 0.2 })
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  await call('project.open', { path: setup.projectPath })
}, 180_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

describe('runs.compare', () => {
  it('answers the runs in the order asked, with the settings that differ between them', async () => {
    const comparison = await call('runs.compare', { runIds: [second, first] })
    expect(comparison.runs.map((run) => run.id)).toEqual([second, first])
    expect(comparison.split).toBe('test')
    expect(comparison.differingSettings).toEqual(['epochs', 'learningRate', 'dropout'])
    expect(comparison.settingKeys).toEqual(expect.arrayContaining(['model', 'epochs', 'batchSize', 'learningRate', 'dropout', 'seed']))
    const [b, a] = comparison.runs as [ComparedRun, ComparedRun]
    expect(a).toMatchObject({ modelKind: 'cnn', status: 'done', hasModel: true, evaluation: null, settings: { epochs: 1, learningRate: 0.003 } })
    expect(b).toMatchObject({ settings: { epochs: 2, learningRate: 0.01, dropout: 0.2 }, evaluation: null })
    expect(a.epochs).toHaveLength(1)
    expect(b.epochs).toHaveLength(2)
    // The summary is the run's own: what runs.list says of it.
    const listed = await call('runs.list', {})
    for (const run of comparison.runs) {
      const summary = listed.find((entry) => entry.id === run.id)!.summary!
      expect(run.summary).toEqual({ valAccuracy: summary.valAccuracy, testAccuracy: summary.testAccuracy })
      expect(run.summary.testAccuracy).not.toBeNull()
    }
  })

  it('carries each evaluated run\'s per-class test figures, exactly as evaluationReport has them', { timeout: 120_000 }, async () => {
    await evaluate(first)
    let comparison = await call('runs.compare', { runIds: [first, second] })
    expect(comparison.runs[1]!.evaluation).toBeNull()
    await evaluate(second)
    comparison = await call('runs.compare', { runIds: [first, second] })
    const db = services.session.db
    for (const run of comparison.runs) {
      const report = evaluationReport(db, run.id, 'test')!
      expect(run.evaluation).toEqual({ accuracy: report.accuracy, count: 8, stale: false, computedAt: report.computedAt, perClass: report.perClass })
      expect(run.evaluation!.perClass.map((entry) => entry.name).toSorted()).toEqual(['blue', 'red'])
      expect(run.evaluation!.perClass.map((entry) => entry.support)).toEqual([4, 4])
    }
  })

  it('falls back to the validation split when the project has no labeled test images', async () => {
    const testImages = (await call('images.query', { split: 'test' })).ids
    await call('images.setSplit', { imageIds: testImages, split: 'val' })
    try {
      const comparison = await call('runs.compare', { runIds: [first, second] })
      expect(comparison.split).toBe('val')
      for (const run of comparison.runs) {
        const report = evaluationReport(services.session.db, run.id, 'val')!
        expect(run.evaluation).toMatchObject({ accuracy: report.accuracy, count: 12, perClass: report.perClass })
      }
    } finally {
      await call('images.setSplit', { imageIds: testImages, split: null })
    }
    expect((await call('runs.compare', { runIds: [first, second] })).split).toBe('test')
  })

  it('answers NOT_FOUND for a run that does not exist', async () => {
    expect(await failureOf({ runIds: [first, 999] })).toEqual({ code: 'NOT_FOUND', message: 'run 999 does not exist' })
  })

  it('refuses one run, a run named twice and more than eight runs as INVALID_REQUEST', async () => {
    expect(await failureOf({ runIds: [first] })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('compare at least two runs') })
    expect(await failureOf({ runIds: [first, first] })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('name each run once') })
    expect(await failureOf({ runIds: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('compare at most 8 runs') })
    expect(await failureOf({ runIds: [first, second], extra: true })).toMatchObject({ code: 'INVALID_REQUEST' })
  })
})

describe('compareRuns', () => {
  const run = (id: number, settings: Record<string, unknown>): ComparedRun => ({
    id,
    modelKind: 'cnn',
    status: 'done',
    settings,
    epochs: [],
    summary: { valAccuracy: null, testAccuracy: null },
    hasModel: true,
    evaluation: null
  })

  it('counts a key that one run lacks as differing, and orders unknown keys after the known ones', () => {
    const comparison = compareRuns([run(1, { epochs: 3, zeta: 1, model: 'cnn' }), run(2, { epochs: 3, model: 'cnn', alpha: null }), run(3, { epochs: 3, model: 'cnn', zeta: 1 })], 'test')
    expect(comparison.settingKeys).toEqual(['model', 'epochs', 'alpha', 'zeta'])
    expect(comparison.differingSettings).toEqual(['alpha', 'zeta'])
  })
})
