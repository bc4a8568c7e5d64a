import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLogDir } from '../../../src-main/core/run-folders'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'

// `pictor report` as a user runs it: the real bin on a project whose newest run was never evaluated.

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

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-report-cli-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [8, 8], test: [4, 4] }))).projectPath
  const settings = trainSettings({ epochs: 1 })
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir: join(dir, 'models'), runId, settings, resume: false }, recordingContext())
}, 120_000)

afterAll(() => removeTempDir(dir))

describe('pictor report', () => {
  it("writes the newest run's report into its folder, evaluating it first, and prints the fields with --json", { timeout: 60_000 }, async () => {
    const result = await pictor(['report', '--project', projectPath, '--json'])
    // (A stale checkout builds first and the build may talk on stderr; the command itself must not fail.)
    expect(result.stderr).not.toMatch(/pictor report:/)
    expect(result.status).toBe(0)
    const printed = JSON.parse(result.stdout) as Record<string, unknown>
    const run = withProjectDb(projectPath, (db) => getRun(db, runId))!
    const path = join(run.logDir ?? runLogDir(projectPath, runId), 'report.html')
    expect(printed).toMatchObject({ runId, path, evaluated: true, bytes: statSync(path).size })
    expect(Object.keys(printed).toSorted()).toEqual(['bytes', 'evaluated', 'path', 'runId', 'seconds'])
    expect(typeof printed.seconds).toBe('number')
    const text = readFileSync(path, 'utf8')
    expect(text).toContain(`run ${runId} (seed CNN)`)
    expect(text).not.toMatch(/<script/i)
  })

  it('prints the path without --json, writing where --out says', { timeout: 60_000 }, async () => {
    const out = join(dir, 'cards', 'run.html')
    const result = await pictor(['report', '--project', projectPath, '--run', String(runId), '--out', out])
    expect(result.status).toBe(0)
    expect(result.stdout).toBe(`Wrote the report of run ${runId} to ${out}\n`)
    expect(readFileSync(out, 'utf8')).toContain('>8. Known limits</h2>')
  })

  it('exits 2 on a bad run id and 1 with a coded line on a run that does not exist', async () => {
    const usage = await pictor(['report', '--project', projectPath, '--run', 'last'])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/--run must be a run id, got last/)
    const missing = await pictor(['report', '--project', projectPath, '--run', '99', '--json'])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toBe('pictor report: NOT_FOUND: run 99 does not exist\n')
    expect(missing.stdout).toBe('')
  })
})
