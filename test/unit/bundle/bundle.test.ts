import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBundle, type BundleResult } from '../../../src-main/bundle/write-bundle'
import { exportedModelPredictor } from '../../../src-main/classifier/predictors'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { PICTOR_BIN } from '../../helpers/pictor-process'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, projectCounts, QUOTED, type DatasetProject } from '../dataset/dataset-project'

// `pictor bundle` end to end on this machine: a real project's bundle, trained by its own train.py
// under PyTorch's distributed launcher (two CPU processes, gloo), and the model.onnx it writes
// predicted with, imported as a run (pictor runs import) and evaluated (pictor eval) by Pictor. Debian's python3-torch, python3-torchvision and python3-pil are the
// consumer (.ci/run installs them). With the shared ImageNet weights absent, a randomly initialised
// MobileNetV2 stands in: the feature check compares networks, not what they learned.

const PYTHON = '/usr/bin/python3'
const python = spawnSync(PYTHON, ['-c', 'import torch, torchvision, PIL'], { encoding: 'utf8' })
const NO_TORCH = python.status === 0 ? null : `PyTorch, torchvision and Pillow are not installed for ${PYTHON} (apt-get install python3-torchvision python3-pil)`

let dir: string
let project: DatasetProject
let modelsDir: string

beforeAll(async () => {
  dir = makeTempDir('pictor-bundle-')
  project = await createDatasetProject(join(dir, 'project'))
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
}, 180_000)

afterAll(() => removeTempDir(dir))

async function bundle(name: string, format: 'auto' | 'webdataset' = 'auto'): Promise<BundleResult> {
  const db = openProjectDatabase(project.projectPath)
  try {
    const context = { signal: new AbortController().signal, onProgress: () => {} }
    return await writeBundle({ db, projectPath: project.projectPath, dir: join(dir, name), modelsDir, pictorVersion: '0.0.0-test', format }, context)
  } finally {
    db.close()
  }
}

const run = (args: string[], cwd: string, timeout = 300_000) =>
  spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, OMP_NUM_THREADS: '1' } })

describe('pictor bundle', () => {
  let result: BundleResult

  beforeAll(async () => {
    result = await bundle('bundle')
  }, 120_000)

  it('holds the dataset with the project’s counts, the weights, the check, the settings and the program', () => {
    expect(result.format).toBe('imagefolder')
    const withoutZeros = Object.fromEntries(
      Object.entries(result.counts).map(([split, classes]) => [split, Object.fromEntries(Object.entries(classes!).filter(([, n]) => n > 0))])
    )
    expect(withoutZeros).toEqual(projectCounts(project.projectPath))
    for (const file of ['train.py', 'keras_mobilenet.py', 'bundle_data.py', 'bundle_export.py', 'requirements.txt', 'README.md', 'weights/model.json', 'check/0.png', 'check/1.png', 'data/classes.json', 'data/README.md']) {
      expect(existsSync(join(result.dir, file)), file).toBe(true)
    }
    const config = JSON.parse(readFileSync(join(result.dir, 'config.json'), 'utf8')) as { data: { classes: string[] }; training: Record<string, unknown>; metadata: { labels: string[] } }
    expect(config.data.classes).toEqual([QUOTED, 'red', 'blue'])
    expect(config.metadata.labels).toEqual(config.data.classes)
    expect(config.training).toMatchObject({ image_size: 224, train_backbone: true })
    const readme = readFileSync(join(result.dir, 'README.md'), 'utf8')
    expect(readme).toContain('torchrun --standalone --nproc_per_node=8 train.py')
    expect(readme).toContain('--rdzv-endpoint=HOST:29400')
    expect(readme).toContain(`pictor runs import --project ${JSON.stringify(project.projectPath)} output/`)
  })

  it('refuses a folder that holds other files, and writes nothing there', async () => {
    mkdirSync(join(dir, 'taken'))
    writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine')
    await expect(bundle('taken')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
    expect(readFileSync(join(dir, 'taken', 'notes.txt'), 'utf8')).toBe('mine')
  })

  it.skipIf(NO_TORCH !== null)(`trains under torchrun with two gloo processes; Pictor predicts with its model.onnx, imports it as a run and evaluates it${NO_TORCH ? ` (skipped: ${NO_TORCH})` : ''}`, async () => {
    const out = join(dir, 'output')
    // --redirects 1 --tee 1: Debian 12's PyTorch 1.13 launcher breaks on Python 3.11 with its default of 0 (see the bundle README).
    const training = run(['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', 'train.py', '--epochs', '1', '--head-epochs', '0', '--max-images', '48', '--batch-size', '4', '--out', out], result.dir)
    expect(training.status, training.stderr.slice(-3000)).toBe(0)
    expect(training.stdout).toMatch(/Backbone matches Pictor's features \(largest difference/)
    expect(training.stdout).toContain('2 process(es) on cpu')
    expect(training.stdout).not.toContain('Fine-tuning the backbone from here on') // --head-epochs 0: the backbone trains from the start
    expect(training.stdout).toMatch(/epoch 1\/1: loss [\d.]+, accuracy [\d.]+, val loss/)
    const metadata = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8')) as { labels: string[]; input: { layout: string; height: number } }
    expect(metadata.labels).toEqual([QUOTED, 'red', 'blue'])
    expect(metadata.input).toMatchObject({ layout: 'NHWC', height: 224 })
    // ONNX Runtime on model.onnx answers what PyTorch answered for the check images (train.py wrote those to check.json).
    const expected = JSON.parse(readFileSync(join(out, 'check.json'), 'utf8')) as { images: string[]; probabilities: number[][] }
    const predictor = await exportedModelPredictor(out)
    try {
      expect(predictor.engine).toBe('onnxruntime')
      expect(predictor.labels).toEqual(metadata.labels)
      const inputs = await Promise.all(expected.images.map((image) => predictor.preprocess(join(result.dir, image))))
      const answered = await predictor.predict(inputs)
      answered.forEach((row, index) => {
        expect(row).toHaveLength(3)
        row.forEach((p, unit) => expect(Math.abs(p - expected.probabilities[index]![unit]!)).toBeLessThan(1e-4))
      })
    } finally {
      predictor.dispose()
    }
    // Back into Pictor, as the bundle's README says: the PyTorch model becomes a run, and pictor eval scores it.
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [PICTOR_BIN, ...args], { encoding: 'utf8', env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') }, timeout: 120_000 })
    const imported = cli(['runs', 'import', '--project', project.projectPath, out, '--json'])
    expect(imported.status, imported.stderr).toBe(0)
    const importedRun = JSON.parse(imported.stdout) as { runId: number; labels: string[]; engine: string; metadataFrom: string }
    expect(importedRun).toMatchObject({ labels: [QUOTED, 'red', 'blue'], engine: 'onnxruntime' })
    const evaluated = cli(['eval', '--project', project.projectPath, '--run', String(importedRun.runId), '--split', 'all', '--json'])
    expect(evaluated.status, evaluated.stderr).toBe(0)
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ runId: importedRun.runId, split: 'all', count: 17, labels: [QUOTED, 'red', 'blue'] })
    // A second start with the same --out resumes from the checkpoint instead of training again.
    const again = run(['train.py', '--epochs', '1', '--max-images', '48', '--out', out], result.dir)
    expect(again.status, again.stderr.slice(-2000)).toBe(0)
    expect(again.stdout).toContain('Resuming from')
    expect(again.stdout).not.toMatch(/epoch 1\/1:/)
  }, 600_000)

  it.skipIf(NO_TORCH !== null)(`stops before training when its network does not reproduce Pictor's features${NO_TORCH ? ` (skipped: ${NO_TORCH})` : ''}`, async () => {
    const damaged = await bundle('damaged')
    const config = JSON.parse(readFileSync(join(damaged.dir, 'config.json'), 'utf8')) as { check: { features: string } }
    const featuresPath = join(damaged.dir, config.check.features)
    const features = JSON.parse(readFileSync(featuresPath, 'utf8')) as number[][]
    features[0]![0]! += 0.01
    writeFileSync(featuresPath, JSON.stringify(features))
    const training = run(['train.py', '--epochs', '1', '--out', join(dir, 'never')], damaged.dir, 120_000)
    expect(training.status).not.toBe(0)
    expect(training.stderr).toMatch(/does not reproduce Pictor's features \(largest difference 0\.01/)
    expect(existsSync(join(dir, 'never', 'checkpoint.pt'))).toBe(false)
  }, 180_000)

  it.skipIf(NO_TORCH !== null)(`trains from WebDataset shards too, the head alone first and then the backbone${NO_TORCH ? ` (skipped: ${NO_TORCH})` : ''}`, async () => {
    const shards = await bundle('shards', 'webdataset')
    expect(shards.format).toBe('webdataset')
    const out = join(dir, 'shards-output')
    const training = run(['train.py', '--epochs', '2', '--head-epochs', '1', '--max-images', '8', '--batch-size', '4', '--out', out], shards.dir)
    expect(training.status, training.stderr.slice(-3000)).toBe(0)
    // The head alone for one epoch, then the backbone too.
    expect(training.stdout).toMatch(/epoch 1\/2: [^\n]*\nFine-tuning the backbone from here on\.\nepoch 2\/2: /)
    expect(training.stdout).toMatch(/3 classes; 8 training, 4 validation, 3 test images; 1 process\(es\) on cpu/)
    expect(existsSync(join(out, 'model.onnx'))).toBe(true)
  }, 300_000)
})
