import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { getLabelIssueScan } from '../../../src-main/db/queries/label-issue-scans'
import { listLabelIssues } from '../../../src-main/db/queries/label-issues'
import { runLabelIssues } from '../../../src-main/review/label-issues-job'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, recordingContext, splitGroups } from '../../helpers/training-project'

// The label-issues job itself (no worker): progress through extraction then folds, cancel, the
// scan replaced wholesale, and the errors a user can act on.

let dir: string
let projectPath: string
let modelsDir: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-label-issues-job-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [10, 10], test: [2, 2] }))).projectPath
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
}, 120_000)

afterAll(() => removeTempDir(dir))

it('reports extraction then each fold, examines every labeled image whatever its split, and leaks no tensors', async () => {
  const context = recordingContext()
  const before = tf.memory().numTensors
  const result = await runLabelIssues({ projectPath, modelsDir, folds: 4, backend: 'wasm' }, context)
  expect(tf.memory().numTensors).toBe(before)
  expect(result).toMatchObject({ folds: 4, examined: 24, extracted: 24, skipped: 0 })
  const messages = context.updates.map((update) => update.message)
  const firstFold = messages.findIndex((message) => message.includes('fold 1 of 4'))
  expect(messages.findIndex((message) => message.startsWith('Extracting features'))).toBeLessThan(firstFold)
  expect(messages.filter((message) => /fold \d of 4/.test(message))).toEqual([1, 2, 3, 4].map((fold) => `Checking labels: fold ${fold} of 4`))
  withProjectDb(projectPath, (db) => {
    expect(getLabelIssueScan(db)).toMatchObject({ folds: 4, examined: 24, computedAt: result.computedAt })
    expect(listLabelIssues(db)).toHaveLength(result.flagged)
  })
}, 120_000)

it('stops with CANCELLED between folds and keeps the previous scan', async () => {
  const previous = withProjectDb(projectPath, (db) => ({ scan: getLabelIssueScan(db), issues: listLabelIssues(db) }))
  const context = recordingContext((update) => update.message.includes('fold 1 of'))
  await expect(runLabelIssues({ projectPath, modelsDir, folds: 3, backend: 'wasm' }, context)).rejects.toMatchObject({ code: 'CANCELLED' })
  expect(withProjectDb(projectPath, (db) => ({ scan: getLabelIssueScan(db), issues: listLabelIssues(db) }))).toEqual(previous)
}, 120_000)

it('says what to do without a base model, or with fewer than two labeled classes', async () => {
  await expect(runLabelIssues({ projectPath, modelsDir: join(dir, 'none'), folds: 3 }, recordingContext())).rejects.toMatchObject({
    code: 'NOT_FOUND',
    message: expect.stringContaining('install it in the Train view')
  })
  withProjectDb(projectPath, (db) => db.prepare("DELETE FROM labels WHERE class_id = (SELECT id FROM classes WHERE name = 'red')").run())
  await expect(runLabelIssues({ projectPath, modelsDir, folds: 3, backend: 'wasm' }, recordingContext())).rejects.toMatchObject({
    code: 'INVALID_REQUEST',
    message: expect.stringContaining('at least two classes')
  })
})
