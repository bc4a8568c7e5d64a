import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { Database } from 'better-sqlite3'
import { openProjectDatabase } from '../../../src-main/db/connection'
import * as tfl from '@tensorflow/tfjs-layers'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'
import { inputFor } from '../training/engine/job-helpers'

// Export and predict tests need a real run with a model: a seed CNN trained for 2 epochs by the real
// training job on reddish and bluish PNGs (20×20) imported into train/val/test folders.

export interface TrainedProject {
  projectPath: string
  /** The folder that was imported (train/, val/, test/ with red/ and blue/ below). */
  folder: string
  runId: number
}

export async function trainTinyCnn(dir: string): Promise<TrainedProject> {
  const setup = await createTrainingProject(dir, splitGroups({ train: [10, 10], val: [3, 3], test: [4, 4] }))
  const settings = trainSettings({ epochs: 2 })
  const runId = queueRun(setup.projectPath, settings)
  await trainingJob(inputFor(setup.projectPath, runId, settings, false), recordingContext())
  return { projectPath: setup.projectPath, folder: setup.folder, runId }
}

/** Absolute paths of one split's images, as training reads them. */
export function imagePaths(projectPath: string, split: 'train' | 'val' | 'test'): string[] {
  return withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples.filter((example) => example.split === split).map((example) => example.path)).sort()
}

/** Loads an exported TF.js folder from disk the way a browser's tf.loadLayersModel(url) would: model.json, then its shards. */
export async function loadExportedTfjs(modelJsonPath: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as {
    modelTopology: object
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
  }
  const shards = json.weightsManifest.flatMap((group) => group.paths).map((path) => readFileSync(join(dirname(modelJsonPath), path)))
  const joined = Buffer.concat(shards)
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer
    })
  )
}

/** The largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

export function concat(images: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(images.reduce((sum, image) => sum + image.length, 0))
  let offset = 0
  for (const image of images) {
    out.set(image, offset)
    offset += image.length
  }
  return out
}

/** withProjectDb for async work: the connection stays open until `fn` settles. */
export async function withProjectDbAsync<T>(projectPath: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = openProjectDatabase(projectPath)
  try {
    return await fn(db)
  } finally {
    db.close()
  }
}
