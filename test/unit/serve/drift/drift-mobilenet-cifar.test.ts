import { execFileSync } from 'node:child_process'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import sharp from 'sharp'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TrainSettings } from '../../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../../src-main/contract/train-settings'
import { predictImages } from '../../../../src-main/classifier/predict-images'
import { loadRunClassifier } from '../../../../src-main/classifier/run-classifier'
import { getFeatures } from '../../../../src-main/db/queries/image-features'
import { DriftMonitor } from '../../../../src-main/serve/drift/drift-monitor'
import { predictWithPenultimate } from '../../../../src-main/serve/drift/penultimate-features'
import { driftReferenceForRun } from '../../../../src-main/serve/drift/reference-for-run'
import type { DriftReference, DriftReport } from '../../../../src-main/serve/serve-types'
import { transferTrainingJob } from '../../../../src-main/workers/training-job'
import { runImport, setUpImport, withProjectDb, type ImportSetup } from '../../../helpers/import-project'
import { BASE_MODEL, CIFAR10, CIFAR10_ARCHIVE, missingShared, SHARED_MODELS_DIR } from '../../../helpers/shared-assets'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { queueRun, recordingContext } from '../../../helpers/training-project'
import { withProjectDbAsync } from '../../export/trained-run'

// The drift test on real photos: MobileNetV2 fine-tuned on three CIFAR-10 classes
// (airplane, automobile, ship; 50 images each, unpacked from ../shared at test time). Held-out
// CIFAR-10 test images of those classes must not look like drift; CIFAR-10 images of animals the
// model never saw, and synthetic textures, must. The unseen images are imported unlabeled, so
// their features come from the project's cache exactly as the run's own do, and stay out of
// the reference (which is built from labeled images only).

const TRAINED = ['airplane', 'automobile', 'ship']
const UNSEEN = ['cat', 'deer', 'frog', 'horse']
const PER_CLASS = { train: 40, val: 10, heldOut: 30, unseen: 20 }
const TEXTURES = 50
const MISSING = missingShared(CIFAR10, BASE_MODEL)

let dir: string
let setup: ImportSetup
let runId: number
let reference: DriftReference

const numbered = (count: number, from = 0) => Array.from({ length: count }, (_, index) => String(from + index).padStart(4, '0'))

/** A 96×96 texture: stripes of two random colours at a random angle, with noise — nothing like a photo. */
function texture(seed: number): Promise<Buffer> {
  let state = (seed * 2654435761) >>> 0
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24)
  const a = [next(), next(), next()]
  const b = [next(), next(), next()]
  const angle = (next() / 256) * Math.PI
  const period = 4 + (next() % 16)
  const data = Buffer.alloc(96 * 96 * 3)
  for (let y = 0; y < 96; y++) {
    for (let x = 0; x < 96; x++) {
      const stripe = Math.floor((x * Math.cos(angle) + y * Math.sin(angle)) / period) % 2 === 0 ? a : b
      for (let c = 0; c < 3; c++) data[(y * 96 + x) * 3 + c] = Math.max(0, Math.min(255, stripe[c]! + (next() % 41) - 20))
    }
  }
  return sharp(data, { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer()
}

beforeAll(async () => {
  if (MISSING) return
  dir = makeTempDir('pictor-drift-cifar-')
  const unpacked = join(dir, 'unpacked')
  mkdirSync(unpacked)
  const members = [
    ...TRAINED.flatMap((name) => numbered(PER_CLASS.train + PER_CLASS.val).map((n) => `cifar10_jpg/train/${name}/${n}.jpg`)),
    ...TRAINED.flatMap((name) => numbered(PER_CLASS.heldOut).map((n) => `cifar10_jpg/test/${name}/${n}.jpg`)),
    ...UNSEEN.flatMap((name) => numbered(PER_CLASS.unseen).map((n) => `cifar10_jpg/test/${name}/${n}.jpg`))
  ]
  execFileSync('tar', ['-xzf', CIFAR10_ARCHIVE, '-C', unpacked, ...members])
  mkdirSync(join(dir, 'project'))
  setup = setUpImport(join(dir, 'project'))
  const folder = setup.folder
  for (const name of TRAINED) {
    numbered(PER_CLASS.train + PER_CLASS.val).forEach((n, index) => {
      const split = index < PER_CLASS.train ? 'train' : 'val'
      mkdirSync(join(folder, split, name), { recursive: true })
      renameSync(join(unpacked, 'cifar10_jpg', 'train', name, `${n}.jpg`), join(folder, split, name, `${n}.jpg`))
    })
    // Files directly in the imported folder are imported unlabeled.
    for (const n of numbered(PER_CLASS.heldOut)) renameSync(join(unpacked, 'cifar10_jpg', 'test', name, `${n}.jpg`), join(folder, `same-${name}-${n}.jpg`))
  }
  for (const name of UNSEEN) {
    for (const n of numbered(PER_CLASS.unseen)) renameSync(join(unpacked, 'cifar10_jpg', 'test', name, `${n}.jpg`), join(folder, `unseen-${name}-${n}.jpg`))
  }
  for (let index = 0; index < TEXTURES; index++) writeFileSync(join(folder, `texture-${index}.png`), await texture(index + 1))
}, 60_000)

afterAll(() => removeTempDir(dir))

function unlabeled(db: Database, prefix: string): { imageId: number; path: string; contentHash: string | null }[] {
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, s.root_path AS root, i.rel_path AS relPath, i.content_hash AS contentHash
       FROM images i JOIN sources s ON s.id = i.source_id WHERE i.rel_path LIKE ? ORDER BY i.id`
    )
    .all(`${prefix}%`) as { imageId: number; root: string; relPath: string; contentHash: string | null }[]
  return rows.map((row) => ({ imageId: row.imageId, path: join(row.root, row.relPath), contentHash: row.contentHash }))
}

/** What a server would feed the monitor for these images: the run's probabilities and the backbone's pooled features. */
async function driftOf(db: Database, prefix: string): Promise<DriftReport> {
  const classifier = await loadRunClassifier(db, runId, { modelsDir: SHARED_MODELS_DIR, backend: 'wasm' })
  try {
    const images = unlabeled(db, prefix)
    const predictions = await predictImages(db, classifier, images, { signal: new AbortController().signal, modelsDir: SHARED_MODELS_DIR })
    const features = getFeatures(db, classifier.baseModelVersion!, images.map((image) => image.contentHash!))
    const monitor = new DriftMonitor(reference)
    monitor.observe(
      images.map((image) => predictions.probabilities.get(image.imageId)!),
      images.map((image) => features.get(image.contentHash!)!)
    )
    return monitor.report()
  } finally {
    classifier.dispose()
  }
}

function describeReport(name: string, report: DriftReport): string {
  const minP = Math.min(...report.components.map((component) => component.pValue))
  const maxKs = Math.max(...report.components.map((component) => component.ks))
  return (
    `${name}: n=${report.observed} psi=${report.classPsi.toFixed(3)} lowConf=${report.lowConfidenceShare.toFixed(3)} ` +
    `(ref ${report.referenceLowConfidenceShare.toFixed(3)}) maxKS=${maxKs.toFixed(3)} minP=${minP.toExponential(2)} ` +
    `drift=${report.drift} [${report.reasons.join(', ')}]`
  )
}

it('MobileNetV2 on CIFAR-10 vehicles: held-out vehicles → no drift; unseen animals and textures → drift flagged', async (context) => {
  if (MISSING) context.skip(MISSING)
  const imported = await runImport(setup)
  expect(imported.imported).toBe(TRAINED.length * (PER_CLASS.train + PER_CLASS.val + PER_CLASS.heldOut) + UNSEEN.length * PER_CLASS.unseen + TEXTURES)
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, backend: 'wasm', epochs: 8 }) as TrainSettings
  runId = queueRun(setup.projectPath, settings)
  await transferTrainingJob({ projectPath: setup.projectPath, modelsDir: SHARED_MODELS_DIR, runId, settings, resume: false }, recordingContext())

  await withProjectDbAsync(setup.projectPath, async (db) => {
    reference = await driftReferenceForRun(db, runId, { modelsDir: SHARED_MODELS_DIR, backend: 'wasm' })
    expect(reference.labels).toEqual(TRAINED)
    reference.classShares.forEach((share) => expect(share).toBeCloseTo(1 / 3, 6))
    expect(reference.features!.mean).toHaveLength(1280)
    expect(reference.features!.components).toHaveLength(16)
    expect(reference.features!.samples[0]).toHaveLength(TRAINED.length * (PER_CLASS.train + PER_CLASS.val))

    const same = await driftOf(db, 'same-')
    const unseen = await driftOf(db, 'unseen-')
    const textures = await driftOf(db, 'texture-')
    console.log([describeReport('held-out vehicles', same), describeReport('unseen animals', unseen), describeReport('textures', textures)].join('\n'))

    expect(same).toMatchObject({ observed: TRAINED.length * PER_CLASS.heldOut, drift: false, reasons: [] })
    expect(unseen.drift).toBe(true)
    expect(unseen.reasons).toContain('features_ks')
    expect(textures.drift).toBe(true)
    expect(textures.reasons).toContain('features_ks')
  })
  // The tensor a server reads drift features from (the head's input in the whole classifier) is
  // the backbone's pooled features that the reference was built from.
  await withProjectDbAsync(setup.projectPath, async (db) => {
    const classifier = await loadRunClassifier(db, runId, { modelsDir: SHARED_MODELS_DIR, backend: 'wasm' })
    try {
      const images = unlabeled(db, 'same-').slice(0, 3)
      const whole = await predictWithPenultimate(classifier, images)
      const cached = getFeatures(db, classifier.baseModelVersion!, images.map((image) => image.contentHash!))
      whole.forEach((entry, index) => {
        const expected = cached.get(images[index]!.contentHash!)!
        expect(entry.features).toHaveLength(1280)
        let worst = 0
        for (let j = 0; j < 1280; j++) worst = Math.max(worst, Math.abs(entry.features[j]! - expected[j]!))
        expect(worst).toBeLessThan(1e-3)
      })
    } finally {
      classifier.dispose()
    }
  })
  // The reference is stored with the run: a second serve reads it.
  expect(withProjectDb(setup.projectPath, (db) => db.prepare('SELECT images FROM drift_references WHERE run_id = ?').pluck().get(runId))).toBe(TRAINED.length * (PER_CLASS.train + PER_CLASS.val))
}, 240_000)
