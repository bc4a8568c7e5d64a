import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../../helpers/training-project'

// `pictor train` as a user runs it: the real bin (the built CLI) on a small imported project, with
// the training job in its worker, and the exit codes for usage errors and impossible runs.

const ROOT = join(import.meta.dirname, '..', '..', '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')
const temp = useTempDir('pictor-cli-train-')

/** The backend an unforced run picks here: native TensorFlow when installed, else wasm. */
function expectedBackend(): string {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node')
    return 'tensorflow'
  } catch {
    return 'wasm'
  }
}

/** Runs the CLI without blocking this process (the test's own timers keep working). */
function pictor(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // No base model installed (whatever the outer environment names): the default model is the CNN.
      env: { ...process.env, PICTOR_DATA_DIR: join(temp(), 'data'), PICTOR_MODELS_DIR: join(temp(), 'no-models') },
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

describe('pictor train', () => {
  it('trains an imported project and prints the run as JSON', { timeout: 60_000 }, async () => {
    const { projectPath } = await createTrainingProject(join(temp(), 'two'), splitGroups({ train: [12, 12], val: [3, 3], test: [3, 3] }))
    const result = await pictor(['train', '--project', projectPath, '--epochs', '2', '--batch', '16', '--json'])
    // With --json nothing else goes to stderr (a stale build announces its rebuild there first).
    expect(result.stderr.replace(/^pictor: building first.*\n/, '')).toBe('')
    expect(result.status).toBe(0)
    const printed = JSON.parse(result.stdout) as Record<string, unknown>
    expect(printed).toMatchObject({
      runId: expect.any(Number),
      status: 'done',
      backend: expectedBackend(),
      model: 'cnn',
      epochs: 2,
      valAccuracy: expect.any(Number),
      testAccuracy: expect.any(Number),
      imagesPerSecond: expect.any(Number),
      notes: [expect.stringMatching(/^only 6 validation images: one image moves validation accuracy by 17 points/)]
    })
    expect((printed.classes as string[]).toSorted()).toEqual(['blue', 'red'])
    expect((printed.history as { epoch: number; batchSize: number }[]).map((epoch) => [epoch.epoch, epoch.batchSize])).toEqual([
      [0, 16],
      [1, 16]
    ])
    expect(printed.imagesPerSecond).toBeGreaterThan(0)
    for (const key of ['valAccuracy', 'testAccuracy'] as const) {
      expect(printed[key]).toBeGreaterThanOrEqual(0)
      expect(printed[key]).toBeLessThanOrEqual(1)
    }
  })

  it('--seed repeats a run: the same seed gives the same losses epoch by epoch', { timeout: 120_000 }, async () => {
    const { projectPath } = await createTrainingProject(join(temp(), 'seeded'), splitGroups({ train: [8, 8], val: [2, 2] }))
    const losses = async (seed: string) => {
      const result = await pictor(['train', '--project', projectPath, '--epochs', '2', '--batch', '8', '--augment', '--seed', seed, '--json'])
      expect(result.status).toBe(0)
      return (JSON.parse(result.stdout) as { history: { loss: number; valLoss: number }[] }).history.map(({ loss, valLoss }) => [loss, valLoss])
    }
    const first = await losses('7')
    expect(await losses('7')).toEqual(first)
    expect(await losses('8')).not.toEqual(first)
    expect((await pictor(['train', '--project', projectPath, '--seed', 'x'])).stderr).toContain('--seed must be a number, got x')
  })

  it('prints a test accuracy of null when the project has no test images', { timeout: 60_000 }, async () => {
    const { projectPath } = await createTrainingProject(join(temp(), 'no-test'), splitGroups({ train: [8, 8], val: [2, 2] }))
    const result = await pictor(['train', '--project', projectPath, '--epochs', '1', '--batch', '16', '--size', '18', '--json'])
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ epochs: 1, valAccuracy: expect.any(Number), testAccuracy: null })
  })

  it.each([
    [['--model', 'nope'], '--model nope'],
    [['--backend', 'nope'], '--backend must be one of tensorflow-gpu, tensorflow, wasm, cpu'],
    [['--epochs', 'two'], '--epochs must be a number, got two'],
    [['--lr'], "Option '--lr <value>' argument missing"]
  ])('exits 2 with usage for %j', async (args, message) => {
    const result = await pictor(['train', '--project', join(temp(), 'whatever.pictor'), ...args])
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
    expect(result.stderr).toContain('Usage: pictor train --project FILE')
  })

  it('exits 2 without --project', async () => {
    const result = await pictor(['train', '--epochs', '1'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('train needs --project FILE')
  })

  it('fails with exit 1 and a clear message for a project with one class', { timeout: 30_000 }, async () => {
    const { projectPath } = await createTrainingProject(join(temp(), 'one'), splitGroups({ train: [6, 0], val: [2, 0] }))
    const result = await pictor(['train', '--project', projectPath, '--epochs', '1', '--json'])
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^pictor train: INVALID_REQUEST: training needs labeled images in at least two classes$/m)
  })
})
