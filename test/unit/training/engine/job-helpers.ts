import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { RunSummary } from '../../../../src-main/contract/types'
import { loadCheckpoint, loadRunModel } from '../../../../src-main/db/queries/run-models'
import { getRun } from '../../../../src-main/db/queries/training-runs'
import { decodeNamed } from '../../../../src-main/tfjs/model-serialization'
import type { TrainInput } from '../../../../src-main/training/run-training'
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
