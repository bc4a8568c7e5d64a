import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importOnnxRun } from '../../../../src-main/classifier/onnx-run-import'
import { loadRunClassifier, type RunClassifier } from '../../../../src-main/classifier/run-classifier'
import { deleteDriftReference, loadDriftReference } from '../../../../src-main/db/queries/drift-references'
import { exportRun } from '../../../../src-main/export/export-run'
import { DriftMonitor } from '../../../../src-main/serve/drift/drift-monitor'
import { predictWithPenultimate } from '../../../../src-main/serve/drift/penultimate-features'
import { DRIFT_REFERENCE_FILE, readDriftReference } from '../../../../src-main/serve/drift/reference-file'
import { driftReferenceForRun } from '../../../../src-main/serve/drift/reference-for-run'
import type { DriftReference } from '../../../../src-main/serve/serve-types'
import { trainingJob } from '../../../../src-main/workers/training-job'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, lookPng, queueRun, recordingContext, splitGroups, trainSettings } from '../../../helpers/training-project'
import { withProjectDbAsync } from '../../export/trained-run'
import { inputFor } from '../../training/engine/job-helpers'

// Drift for a CNN run and for an imported ONNX run, end to end on real files: a CNN trained by the
// real job on reddish and bluish PNGs; its reference (penultimate-layer features) built, stored and
// exported; new reddish/bluish images → no drift; green and grey textures → drift. The same model
// exported and imported back as ONNX gives no features: drift is then judged by class mix alone.

let dir: string
let projectPath: string
let runId: number
let sameImages: { imageId: number; path: string }[]
let otherImages: { imageId: number; path: string }[]
const modelsDir = () => join(dir, 'no-models')

/** A 20×20 PNG of one colour with seeded noise (±60), not a colour the model has seen. */
function texturePng(rgb: readonly [number, number, number], seed: number): Promise<Buffer> {
  const data = Buffer.alloc(20 * 20 * 3)
  let state = seed >>> 0
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    data[i] = Math.max(0, Math.min(255, rgb[i % 3]! + ((state >>> 24) % 121) - 60))
  }
  return sharp(data, { raw: { width: 20, height: 20, channels: 3 } }).png().toBuffer()
}

async function writeImages(folder: string, count: number, make: (index: number) => Promise<Buffer>): Promise<{ imageId: number; path: string }[]> {
  mkdirSync(folder, { recursive: true })
  const images = []
  for (let index = 0; index < count; index++) {
    const path = join(folder, `${index}.png`)
    writeFileSync(path, await make(index))
    images.push({ imageId: index, path })
  }
  return images
}

const withDb = <T>(work: (db: Database) => Promise<T>) => withProjectDbAsync(projectPath, work)

beforeAll(async () => {
  dir = makeTempDir('pictor-drift-cnn-')
  const setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [40, 40], val: [8, 8], test: [8, 8] }))
  projectPath = setup.projectPath
  const settings = trainSettings({ epochs: 3 })
  runId = queueRun(projectPath, settings)
  await trainingJob(inputFor(projectPath, runId, settings, false), recordingContext())
  // Fresh seeds: images of the training looks the model has never seen.
  sameImages = await writeImages(join(dir, 'same'), 100, (i) => lookPng(i % 2 === 0 ? 'red' : 'blue', 100_000 + i))
  otherImages = await writeImages(join(dir, 'other'), 100, (i) => texturePng(i % 2 === 0 ? [40, 200, 60] : [128, 128, 128], 200_000 + i))
}, 180_000)

afterAll(() => removeTempDir(dir))

async function monitorWith(classifier: RunClassifier, reference: DriftReference, images: readonly { imageId: number; path: string }[]) {
  const monitor = new DriftMonitor(reference)
  const predicted = await predictWithPenultimate(classifier, images)
  expect(predicted).toHaveLength(images.length)
  monitor.observe(
    predicted.map((entry) => entry.probabilities),
    predicted.map((entry) => entry.features)
  )
  return monitor.report()
}

describe('drift for a CNN run', () => {
  let reference: DriftReference

  it('builds a reference from the penultimate layer, stores it, and reads it back on the next call', async () => {
    reference = await withDb((db) => driftReferenceForRun(db, runId, { modelsDir: modelsDir() }))
    expect(reference.labels.sort()).toEqual(['blue', 'red'])
    expect(reference.classShares).toEqual([0.5, 0.5])
    expect(reference.features!.mean).toHaveLength(64)
    expect(reference.features!.components).toHaveLength(16)
    expect(reference.features!.samples[0]).toHaveLength(112)
    const stored = await withDb(async (db) => loadDriftReference(db, runId))
    expect(stored).toMatchObject({ images: 112, reference })
    const again = await withDb((db) => driftReferenceForRun(db, runId, { modelsDir: modelsDir() }))
    expect(again).toEqual(reference)
    expect((await withDb(async (db) => loadDriftReference(db, runId)))!.createdAt).toBe(stored!.createdAt)
  })

  it('flags no drift for new images of the training looks, and drift for textures of other colours', async () => {
    const classifier = await withDb((db) => loadRunClassifier(db, runId, { modelsDir: modelsDir(), backend: 'wasm' }))
    try {
      const same = await monitorWith(classifier, reference, sameImages)
      const other = await monitorWith(classifier, reference, otherImages)
      console.log(
        `CNN drift — same looks: psi ${same.classPsi.toFixed(3)}, low conf ${same.lowConfidenceShare.toFixed(2)} (ref ${same.referenceLowConfidenceShare.toFixed(2)}), ` +
          `min p ${Math.min(...same.components.map((c) => c.pValue)).toExponential(2)}; other: psi ${other.classPsi.toFixed(3)}, ` +
          `low conf ${other.lowConfidenceShare.toFixed(2)}, min p ${Math.min(...other.components.map((c) => c.pValue)).toExponential(2)}, reasons ${other.reasons.join(',')}`
      )
      expect(same).toMatchObject({ observed: 100, drift: false, reasons: [] })
      expect(other.drift).toBe(true)
      expect(other.reasons).toContain('features_ks')
    } finally {
      classifier.dispose()
    }
  })

  it('writes the reference into every export format, and reads it from the export folder', async () => {
    const out = join(dir, 'export')
    const result = await withDb((db) => exportRun(db, { runId, dir: out, formats: ['onnx', 'tfjs'] }, { modelsDir: modelsDir(), pictorVersion: 'test' }))
    expect(result.files).toEqual(expect.arrayContaining([`onnx/${DRIFT_REFERENCE_FILE}`, `tfjs/${DRIFT_REFERENCE_FILE}`]))
    expect(await readDriftReference(out)).toEqual(reference)
    expect(await readDriftReference(join(out, 'tfjs'))).toEqual(reference)
    expect(await readDriftReference(join(out, 'onnx', 'model.onnx'))).toEqual(reference)
    expect(await readDriftReference(join(dir, 'same'))).toBeNull()
    writeFileSync(join(dir, 'same', DRIFT_REFERENCE_FILE), '{"version": 1}')
    await expect(readDriftReference(join(dir, 'same'))).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('is not a drift reference') })
  })

  it('judges an imported ONNX run (no features) by class mix and confidence alone', async () => {
    const imported = await withDb((db) => importOnnxRun(db, { path: join(dir, 'export', 'onnx') }))
    const importedReference = await withDb((db) => driftReferenceForRun(db, imported.runId, { modelsDir: modelsDir() }))
    expect(importedReference).toMatchObject({ labels: reference.labels, classShares: reference.classShares, features: null })
    const classifier = await withDb((db) => loadRunClassifier(db, imported.runId, { modelsDir: modelsDir() }))
    try {
      const predict = async (images: readonly { path: string }[]) => {
        const inputs = await Promise.all(images.map((image) => classifier.preprocess(image.path)))
        const values = new Float32Array(inputs.reduce((sum, input) => sum + input.length, 0))
        inputs.forEach((input, index) => values.set(input, index * input.length))
        return classifier.predictBatch(values, inputs.length)
      }
      const balanced = new DriftMonitor(importedReference)
      balanced.observe(await predict(sameImages), null)
      expect(balanced.report()).toMatchObject({ observed: 100, components: [], drift: false })
      // Only reddish images: half the classes vanish from the window.
      const oneSided = new DriftMonitor(importedReference)
      oneSided.observe(await predict(sameImages.filter((_, index) => index % 2 === 0)), null)
      oneSided.observe(await predict(sameImages.filter((_, index) => index % 2 === 0)), null)
      const report = oneSided.report()
      expect(report.reasons).toEqual(['class_psi'])
      expect(report.classPsi).toBeGreaterThan(1)
    } finally {
      classifier.dispose()
    }
  })

  it('still exports a run whose labeled images are all gone, without a reference', async () => {
    await withDb(async (db) => {
      deleteDriftReference(db, runId)
      db.prepare('DELETE FROM labels').run()
    })
    await expect(withDb((db) => driftReferenceForRun(db, runId, { modelsDir: modelsDir() }))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: `run ${runId} has no labeled images left to build its drift reference from`
    })
    const out = join(dir, 'export-unlabeled')
    const result = await withDb((db) => exportRun(db, { runId, dir: out, formats: ['onnx'] }, { modelsDir: modelsDir(), pictorVersion: 'test' }))
    expect(result.files).toEqual(['onnx/model.onnx', 'onnx/metadata.json', 'onnx/README.md', 'onnx/pictor-manifest.json'])
    expect(await readDriftReference(out)).toBeNull()
  })
})
