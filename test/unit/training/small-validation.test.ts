import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { runTraining } from '../../../src-main/training/run-training'
import { seedCnnPlug } from '../../../src-main/training/seed-cnn-plug'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'
import { inputFor, runOf } from './engine/job-helpers'

// Issue 14, finding 2, in the training lifecycle: a project whose validation split holds 2 images
// (what a bad "Assign splits" left) no longer reports validation accuracy on those 2 alone. The run
// holds a tenth of its training images out as well, says so while it trains and in its notes, and
// leaves the project's splits as they were.

let dir: string
let project: string

beforeAll(async () => {
  dir = makeTempDir('pictor-small-val-')
  project = (await createTrainingProject(join(dir, 'main'), splitGroups({ train: [150, 150], val: [1, 1], test: [5, 5] }))).projectPath
}, 120_000)

afterAll(() => removeTempDir(dir))

it('holds out training images when the validation split is too small, and says so', { timeout: 120_000 }, async () => {
  await activateBackend('wasm')
  const settings = trainSettings({ epochs: 1, batchSize: 32 })
  const runId = queueRun(project, settings)
  const notices: string[] = []
  const result = await runTraining(inputFor(project, runId, settings, false), seedCnnPlug, {
    ...recordingContext(),
    callbacks: () => [{ onNotice: (text) => void notices.push(text) }]
  })
  const note = result.notes.find((text) => text.startsWith('the project has only 2 validation images'))
  expect(note, result.notes.join('\n')).toMatch(/: (\d+) training images were held out for validation in this run as well \((\d+) in all\)/)
  const [, heldOut, all] = /(\d+) training images were held out.*\((\d+) in all\)/.exec(note!)!
  expect(Number(all)).toBe(Number(heldOut) + 2)
  expect(Number(all)).toBeGreaterThanOrEqual(20)
  expect(notices).toContain(note)
  expect(result.valAccuracy).not.toBeNull()
  expect(runOf(project, runId).status).toBe('done')
  // The project's own splits are untouched: still 300 train, 2 val.
  const splits = withProjectDb(project, (db) => db.prepare('SELECT split, count(*) AS n FROM images GROUP BY split ORDER BY split').all())
  expect(splits).toEqual([
    { split: 'test', n: 10 },
    { split: 'train', n: 300 },
    { split: 'val', n: 2 }
  ])
})
