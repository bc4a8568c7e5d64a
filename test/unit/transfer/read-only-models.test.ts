import { chmodSync, chownSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BASE_MODEL_ID } from '../../../src-main/classifier/features/base-model'
import { onnxRuntimeChosen } from '../../../src-main/classifier/inference-engine'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { runPictor, shareWithUnprivileged, UNPRIVILEGED } from '../../helpers/pictor-process'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// A models folder Pictor did not create is only read: one-click training through the real `pictor`
// bin, run as a user who cannot write to the models folder (root writes anywhere, so where tests run
// as root the command runs as `nobody`), builds the backbone's ONNX graph into the data folder's
// cache and leaves the models folder exactly as it was.

let dir: string
let modelsDir: string
let dataDir: string
let projectPath: string

/** Every file below a folder with its size and modification time. */
function state(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).map((name) => {
    const stats = statSync(join(folder, name))
    return `${name} ${stats.size} ${stats.mtimeMs}`
  })
}

beforeAll(async () => {
  dir = makeTempDir('pictor-ro-models-')
  dataDir = join(dir, 'data')
  // ../shared's folder is read-only to everyone but root; a random backbone gets the same modes.
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) {
    await writeRandomBaseModel(modelsDir)
    for (const folder of [join(modelsDir, BASE_MODEL_ID), modelsDir]) chmodSync(folder, 0o555)
  }
  const project = join(dir, 'project')
  projectPath = (await createTrainingProject(project, splitGroups({ train: [4, 4], val: [2, 2] }))).projectPath
  mkdirSync(dataDir, { recursive: true })
  shareWithUnprivileged([dir], [dataDir, project])
  if (UNPRIVILEGED) for (const file of readdirSync(project)) chownSync(join(project, file), UNPRIVILEGED.uid, UNPRIVILEGED.gid)
}, 120_000)

afterAll(() => removeTempDir(dir))

it('trains MobileNetV2 with the graph in the data folder’s cache, writing nothing into the models folder', async () => {
  const before = state(modelsDir)
  const run = runPictor(['train', '--project', projectPath, '--model', 'mobilenetv2', '--epochs', '2', '--input-size', '224', '--json'], {
    dataDir,
    env: { PICTOR_MODELS_DIR: modelsDir },
    unprivileged: true
  })
  expect(run.status, run.stderr).toBe(0)
  const result = JSON.parse(run.stdout) as { status: string; notes: string[] }
  expect(result.status).toBe('done')
  expect(state(modelsDir)).toEqual(before)
  if (await onnxRuntimeChosen()) {
    expect(result.notes.some((note) => /features: 12 extracted with onnxruntime/.test(note))).toBe(true)
    expect(readdirSync(join(dataDir, 'cache')).filter((name) => /^features-[0-9a-f]{16}\.onnx$/.test(name))).toHaveLength(1)
  }
}, 180_000)
