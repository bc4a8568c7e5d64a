import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultTrainModel } from '../../../src-main/contract/train-settings'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// Issue 14, finding 3: `pictor train` without --model trains what the Train view would pick
// (defaultTrainModel, one rule for both): MobileNetV2 once its weights are installed, else the CNN,
// and says on stderr which one runs and why. The rule only asks "installed?", so a randomly
// initialised backbone in MobileNetV2's layout stands in for the real weights.

// The built CLI itself (bin/pictor.js would rebuild first when the sources are newer than out/).
const CLI = join(import.meta.dirname, '..', '..', '..', 'out', 'main', 'cli.js')

let dir: string
let projectPath: string
let installed: string
let empty: string

beforeAll(async () => {
  dir = makeTempDir('pictor-default-model-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [6, 6], val: [2, 2] }))).projectPath
  installed = join(dir, 'models-installed')
  await activateBackend('wasm')
  await writeRandomBaseModel(installed)
  empty = join(dir, 'models-empty')
  mkdirSync(empty)
}, 120_000)

afterAll(() => removeTempDir(dir))

function train(modelsDir: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'train', '--project', projectPath, '--epochs', '1', ...args], {
      env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data'), PICTOR_MODELS_DIR: modelsDir, PICTOR_FEATURE_WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (status) => resolve({ status, stdout, stderr }))
  })
}

describe('pictor train picks the model the Train view picks', () => {
  it('is the rule: MobileNetV2 when installed, else the CNN', () => {
    expect(defaultTrainModel(true)).toBe('mobilenetv2')
    expect(defaultTrainModel(false)).toBe('cnn')
  })

  it('trains MobileNetV2 when its weights are installed', { timeout: 120_000 }, async () => {
    const result = await train(installed, ['--json'])
    expect(result.status, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done', model: 'mobilenetv2' })
  })

  it('trains the CNN when they are not, and says why', { timeout: 60_000 }, async () => {
    const result = await train(empty, ['--batch', '16'])
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^Run \d+ \(cnn on /)
    expect(result.stderr).toContain('Model: the seed CNN (MobileNetV2 is not installed')
  })

  it('keeps an explicit --model', { timeout: 60_000 }, async () => {
    const result = await train(installed, ['--model', 'cnn', '--json'])
    expect(result.status, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done', model: 'cnn' })
  })
})
