import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { RunSummary } from '../../../../src-main/contract/types'
import { loadCheckpoint, loadRunModel } from '../../../../src-main/db/queries/run-models'
import { getRun } from '../../../../src-main/db/queries/training-runs'
import { decodeNamed } from '../../../../src-main/tfjs/model-serialization'
import type { TrainInput } from '../../../../src-main/training/run-training'
import { seedCnnPlug } from '../../../../src-main/training/seed-cnn-plug'
import type { TrainingPlug } from '../../../../src-main/training/training-plug'
import { withProjectDb } from '../../../helpers/import-project'

// Reading back what trainRun left in a project file, for the train-job tests.

/** The job's input; the CNN never reads base models, so the models folder need not exist. */
export const inputFor = (projectPath: string, runId: number, settings: TrainInput['settings'], resume: boolean): TrainInput => ({
  projectPath,
  modelsDir: join(tmpdir(), 'pictor-test-no-models'),
  runId,
  settings,
  resume
})

export const runOf = (path: string, runId: number): RunSummary => withProjectDb(path, (db) => getRun(db, runId)!)
export const epochsOf = (path: string, runId: number): number[] => runOf(path, runId).epochs.map((epoch) => epoch.epoch)
export const checkpointOf = (path: string, runId: number) => withProjectDb(path, (db) => loadCheckpoint(db, runId))
export const storedModel = (path: string, runId: number) => withProjectDb(path, (db) => loadRunModel(db, runId))

/** The optimizer's step count (Adam's 'iter') in the run's checkpoint. */
export function checkpointSteps(path: string, runId: number): number {
  const named = decodeNamed(checkpointOf(path, runId)!.optimizer)
  const steps = named[0]!.tensor.dataSync()[0]!
  tf.dispose(named.map((entry) => entry.tensor))
  return steps
}

/** The wasm backend's real error for a tensor beyond its 4 GB heap. */
function wasmOutOfMemory(): unknown {
  try {
    tf.zeros([2 ** 29, 2]).dispose()
  } catch (error) {
    return error
  }
  throw new Error('expected the wasm backend to refuse a 4 GiB tensor')
}

/** The seed CNN, except that a training batch larger than `limit` images runs the backend out of memory. */
export function withMemoryLimit(limit: number): TrainingPlug {
  return {
    kind: 'cnn',
    async prepare(context) {
      const prepared = await seedCnnPlug.prepare(context)
      return {
        ...prepared,
        trainBatches(epoch, batchSize) {
          if (batchSize > limit) throw wasmOutOfMemory()
          return prepared.trainBatches(epoch, batchSize)
        }
      }
    }
  }
}
