import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Evaluation } from '../../../src-main/contract/types'
import { createServices } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'

// `pictor eval` as a user runs it: the real bin on a project with a trained run and no evaluation
// yet, so the command evaluates first (the job in its worker), then prints what review.evaluation says.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')

let dir: string
let projectPath: string
let runId: number

function pictor(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000)
    child.once('error', reject)
    child.once('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** What the services answer for the same question, in-process. */
async function evaluationOf(split: 'test' | 'all'): Promise<Evaluation | null> {
  const services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  try {
    await services.call('project.open', { path: projectPath })
    const envelope = await services.call('review.evaluation', { runId, split })
    if (!envelope.ok) throw new Error(envelope.error.message)
    return envelope.value
  } finally {
    services.close()
  }
}

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-eval-cli-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [8, 8], test: [4, 4] }))).projectPath
  const settings = trainSettings({ epochs: 1 })
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir: join(dir, 'models'), runId, settings, resume: false }, recordingContext())
}, 120_000)

afterAll(() => removeTempDir(dir))

describe('pictor eval', () => {
  it('evaluates a run that never was and prints exactly one JSON object matching review.evaluation', { timeout: 60_000 }, async () => {
    expect(await evaluationOf('test')).toBeNull()
    const result = await pictor(['eval', '--project', projectPath, '--json'])
    expect(result.stderr.replace(/^pictor: building first.*\n/, '')).toBe('')
    expect(result.status).toBe(0)
    const printed = JSON.parse(result.stdout) as Record<string, unknown>
    const evaluation = (await evaluationOf('test'))!
    expect(evaluation).not.toBeNull()
    expect(printed).toMatchObject({
      runId,
      split: 'test',
      count: 8,
      accuracy: evaluation.accuracy,
      labels: evaluation.labels,
      confusion: evaluation.confusion,
      stale: false,
      engine: 'tfjs-wasm',
      unscored: 0
    })
    const perClass = printed.perClass as Record<string, { precision: number | null; recall: number | null; f1: number | null; support: number }>
    expect(Object.keys(perClass).toSorted()).toEqual(['blue', 'red'])
    for (const metrics of evaluation.perClass) {
      expect(perClass[metrics.name]).toEqual({
        classId: metrics.classId,
        precision: metrics.precision,
        recall: metrics.recall,
        f1: metrics.f1,
        support: 4
      })
    }
    expect(withProjectDb(projectPath, (db) => db.prepare('SELECT count(*) FROM predictions WHERE run_id = ?').pluck().get(runId))).toBe(24)
  })

  it('reuses the stored evaluation for another split, and prints a readable table without --json', { timeout: 60_000 }, async () => {
    const computedAt = (await evaluationOf('test'))!.computedAt
    const all = await pictor(['eval', '--project', projectPath, '--run', String(runId), '--split', 'all', '--json'])
    expect(all.status).toBe(0)
    expect(JSON.parse(all.stdout)).toMatchObject({ runId, split: 'all', count: 24, computedAt })
    const table = await pictor(['eval', '--project', projectPath, '--split', 'all'])
    expect(table.status).toBe(0)
    expect(table.stdout).toMatch(new RegExp(`^Run ${runId} on the all split: 24 images, accuracy \\d+\\.\\d%`))
    expect(table.stdout).toMatch(/precision\s+recall\s+F1\s+support/)
    expect(table.stdout).toMatch(/confusion \(rows: label, columns: prediction\)/)
  })

  it('exits 2 on a bad split and 1 on a run that does not exist', async () => {
    const usage = await pictor(['eval', '--project', projectPath, '--split', 'holdout'])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/--split must be one of test, val, train, all/)
    const missing = await pictor(['eval', '--project', projectPath, '--run', '99', '--json'])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/NOT_FOUND: run 99 does not exist/)
    expect(missing.stdout).toBe('')
  })
})
