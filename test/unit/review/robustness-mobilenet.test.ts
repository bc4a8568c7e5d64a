import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { chooseImages, runRobustness } from '../../../src-main/review/robustness-job'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { trainingJob } from '../../../src-main/workers/training-job'
import { runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { SHARED_MODELS_DIR } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { queueRun, recordingContext } from '../../helpers/training-project'
import { BASE_MODEL, CIFAR10, CIFAR10_ARCHIVE, missingShared } from '../../helpers/shared-assets'

// FGSM through a whole MobileNetV2 classifier (backbone + trained head, input x/127.5 − 1, so ε is
// doubled in input units and clipped to [−1, 1]): three CIFAR-10 classes unpacked from ../shared
// at test time, a head trained by the real transfer job, then the robustness job on its test split.

const CLASSES = ['airplane', 'frog', 'truck']
const PER_CLASS = { train: 30, test: 8 }
const MISSING = missingShared(CIFAR10, BASE_MODEL)

let dir: string
let setup: ImportSetup

beforeAll(() => {
  if (MISSING) return
  dir = makeTempDir('pictor-fgsm-mobilenet-')
  const unpacked = join(dir, 'unpacked')
  mkdirSync(unpacked)
  const members = CLASSES.flatMap((name) =>
    Array.from({ length: PER_CLASS.train + PER_CLASS.test }, (_, index) => `cifar10_jpg/train/${name}/${String(index).padStart(4, '0')}.jpg`)
  )
  execFileSync('tar', ['-xzf', CIFAR10_ARCHIVE, '-C', unpacked, ...members])
  mkdirSync(join(dir, 'project'))
  setup = setUpImport(join(dir, 'project'))
  for (const name of CLASSES) {
    const files = readdirSync(join(unpacked, 'cifar10_jpg', 'train', name)).sort()
    for (const [split, slice] of [['train', files.slice(0, PER_CLASS.train)], ['test', files.slice(PER_CLASS.train)]] as const) {
      mkdirSync(join(setup.folder, split, name), { recursive: true })
      for (const file of slice) renameSync(join(unpacked, 'cifar10_jpg', 'train', name, file), join(setup.folder, split, name, file))
    }
  }
}, 60_000)

afterAll(() => removeTempDir(dir))

it('perturbs a MobileNetV2 classifier: clean accuracy at ε = 0, falling with ε, no tensors left', async (context) => {
  if (MISSING) context.skip(MISSING)
  await runImport(setup)
  const { projectPath } = setup
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', backend: 'wasm' }) as TrainSettings
  const runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir: SHARED_MODELS_DIR, runId, settings, resume: false }, recordingContext())

  const before = tf.memory().numTensors
  const started = performance.now()
  const result = await runRobustness({ projectPath, modelsDir: SHARED_MODELS_DIR, runId, count: 200, backend: 'wasm' }, recordingContext())
  const seconds = (performance.now() - started) / 1000
  // Nothing left behind: not by the job, not by the classifier it loaded and disposed.
  expect(tf.memory().numTensors - before).toBe(0)
  expect(result).toMatchObject({ split: 'test', count: 24 })
  console.log(
    `FGSM on MobileNetV2 + head, 24 CIFAR-10 test images (${seconds.toFixed(1)} s): ` +
      result.points.map((p) => `${Math.round(p.epsilon * 255)}/255 → ${p.accuracy.toFixed(3)}`).join(', ') +
      `; at each single step: ${result.atStep.map((p) => p.accuracy.toFixed(3)).join(', ')}`
  )

  const db = openProjectDatabase(projectPath)
  const classifier = await loadRunClassifier(db, runId, { modelsDir: SHARED_MODELS_DIR, backend: 'wasm' })
  let correct = 0
  try {
    const { images } = chooseImages(db, classifier.classIds, 200, 1)
    for (const image of images) {
      const input = await classifier.preprocess(image.path)
      const predicted = tf.tidy(() => tf.argMax(classifier.model!.predict(tf.tensor4d(input, [1, ...classifier.inputShape])) as tf.Tensor, -1).dataSync()[0])
      if (predicted === image.label) correct++
    }
  } finally {
    classifier.dispose()
    db.close()
  }
  const accuracies = result.points.map((point) => point.accuracy)
  expect(accuracies[0]).toBe(correct / 24)
  expect(accuracies[0]).toBeGreaterThanOrEqual(0.6)
  for (let i = 1; i < accuracies.length; i++) expect(accuracies[i]).toBeLessThanOrEqual(accuracies[i - 1]!)
  expect(accuracies.at(-1)!).toBeLessThan(accuracies[0]!)
}, 240_000)
