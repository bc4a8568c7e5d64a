import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import { runLogDir } from '../../../src-main/core/run-folders'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { recordIssueDecision } from '../../../src-main/db/queries/label-issue-decisions'
import { saveLabelIssueScan } from '../../../src-main/db/queries/label-issue-scans'
import { replaceLabelIssues } from '../../../src-main/db/queries/label-issues'
import { percent } from '../../../src-main/report/report-format'
import { runRobustness } from '../../../src-main/review/robustness-job'
import { createServices } from '../../../src-main/services/services'
import { evaluationReport } from '../../../src-main/review/evaluate-report'
import { writeRunReport, type ReportInput } from '../../../src-main/report/write-report'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'
import { classRow, expectCompleteReport, expectedThumbnails, thumbnailCount } from './report-checks'

// The report of a seed CNN run on a real project: written where the run's logs go, evaluating the
// run first when it never was, with the numbers Review shows, and safe against hostile names.

const HOSTILE = '<script>alert("red")</script>'

let dir: string
let input: ReportInput

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-report-cnn-')
  const setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [8, 8], val: [3, 3], test: [4, 4] }))
  const settings = trainSettings({ epochs: 2 })
  const runId = queueRun(setup.projectPath, settings)
  await trainingJob({ projectPath: setup.projectPath, modelsDir: join(dir, 'models'), runId, settings, resume: false }, recordingContext())
  // A class and a project renamed to markup after training: the report must print them as text.
  withProjectDb(setup.projectPath, (db) => {
    db.prepare("UPDATE classes SET name = ? WHERE name = 'red'").run(HOSTILE)
    db.prepare("UPDATE project SET name = 'Birds & <b>bees</b>' WHERE id = 1").run()
  })
  input = { projectPath: setup.projectPath, modelsDir: join(dir, 'models'), thumbnailsDir: setup.thumbnailDir, runId, backend: 'wasm' }
}, 120_000)

afterAll(() => removeTempDir(dir))

describe('writeRunReport on a seed CNN run', () => {
  it('refuses a run that does not exist, writing nothing', async () => {
    const error = await writeRunReport({ ...input, runId: 99 }, recordingContext()).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'run 99 does not exist' })
  })

  it('refuses a run without a model', async () => {
    const queued = queueRun(input.projectPath, trainSettings())
    const error = await writeRunReport({ ...input, runId: queued }, recordingContext()).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((error as Error).message).toMatch(new RegExp(`^run ${queued} has no trained model to report on`))
  })

  it('stops on cancel without writing a file', async () => {
    const context = recordingContext()
    context.controller.abort()
    const out = join(dir, 'cancelled', 'report.html')
    await expect(writeRunReport({ ...input, outPath: out }, context)).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(existsSync(out)).toBe(false)
  })

  it('evaluates a run that never was, then writes the whole report into the run folder', { timeout: 60_000 }, async () => {
    const context = recordingContext()
    const result = await writeRunReport(input, context)
    const run = withProjectDb(input.projectPath, (db) => getRun(db, input.runId))!
    const expected = join(run.logDir ?? runLogDir(input.projectPath, input.runId), 'report.html')
    expect(result).toMatchObject({ runId: input.runId, path: expected, evaluated: true })
    expect(statSync(expected).size).toBe(result.bytes)
    expect(context.updates.at(-1)!.message).toBe(`Wrote the report of run ${input.runId} to ${expected}`)

    const text = readFileSync(expected, 'utf8')
    const [test, val] = withProjectDb(input.projectPath, (db) => [evaluationReport(db, input.runId, 'test')!, evaluationReport(db, input.runId, 'val')])
    expect(test.count).toBe(8)
    expectCompleteReport(text, { test, val })
    expect(text).toContain('Seed CNN (cnn): trained from scratch')
    expect(text).toContain('20 × 20 px, 3 channels (RGB)')
    expect(text).toContain('<svg class="chart"')
    // The data card: current labels, per split (train, validation, test), hostile name escaped.
    expect(text).toContain(classRow(HOSTILE, [8, 3, 4]))
    expect(text).toContain(classRow('blue', [8, 3, 4]))
    expect(text).toContain('&lt;script&gt;alert(&quot;red&quot;)&lt;/script&gt;')
    expect(text).toContain('Birds &amp; &lt;b&gt;bees&lt;/b&gt;')
    expect(text).not.toContain('<b>bees')
    expect(text).toContain('Not computed — run it from Review.')
    expect(text).toContain('To be written by the model')
    // Known limits from the data: 8 test images per class is under 20.
    expect(text).toContain('fewer than 20 test images')
    expect(text).toContain('2 classes have fewer than 20 test images')
  })

  it('reuses the stored evaluation the second time, scoring it against labels changed since', { timeout: 60_000 }, async () => {
    // Two blue test images relabeled after training: the stored predictions now disagree with their
    // labels, so the report has a confused pair to show (with their thumbnails) and says labels changed.
    const { red, blue, moved } = withProjectDb(input.projectPath, (db) => {
      const classId = (name: string) => db.prepare('SELECT id FROM classes WHERE name = ?').pluck().get(name) as number
      const blueId = classId('blue')
      const ids = db
        .prepare("SELECT i.id FROM images i JOIN labels l ON l.image_id = i.id WHERE i.split = 'test' AND l.class_id = ? ORDER BY i.id LIMIT 2")
        .pluck()
        .all(blueId) as number[]
      return { red: classId(HOSTILE), blue: blueId, moved: ids }
    })
    expect(blue).not.toBe(red)
    // Through the app's own labeling call, as a user relabels in the grid (an undoable action).
    const services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
    try {
      expect((await services.call('project.open', { path: input.projectPath })).ok).toBe(true)
      expect((await services.call('labels.assign', { imageIds: moved, classId: red })).ok).toBe(true)
    } finally {
      services.close()
    }
    const outPath = join(dir, 'elsewhere', 'card.html')
    const result = await writeRunReport({ ...input, outPath }, recordingContext())
    expect(result).toMatchObject({ runId: input.runId, path: outPath, evaluated: false })
    const text = readFileSync(outPath, 'utf8')
    const [test, val] = withProjectDb(input.projectPath, (db) => [evaluationReport(db, input.runId, 'test')!, evaluationReport(db, input.runId, 'val')])
    expect(test.stale).toBe(true)
    expectCompleteReport(text, { test, val })
    expect(text).toContain(classRow(HOSTILE, [8, 3, 6]))
    expect(text).toContain(classRow('blue', [8, 3, 2]))
    expect(text).toMatch(/<strong>&lt;script&gt;alert\(&quot;red&quot;\)&lt;\/script&gt;<\/strong> predicted as <strong>blue<\/strong>: 2 images/)
    expect(thumbnailCount(text)).toBe(2)
    expect(expectedThumbnails([test, val])).toBe(2)
    expect(text).toContain('Labels changed since this run trained')
  })

  it('shows a robustness check and a label-issue scan once the project has them', { timeout: 60_000 }, async () => {
    const robustness = await runRobustness({ projectPath: input.projectPath, modelsDir: input.modelsDir, runId: input.runId, count: 6, backend: 'wasm', epsilons: [2 / 255, 8 / 255] }, recordingContext())
    // A scan (the real one needs MobileNetV2 features) stored as the scan job stores it: three
    // flagged images, one relabeled, one kept, one not decided yet.
    withProjectDb(input.projectPath, (db) => {
      const rows = db.prepare('SELECT l.image_id AS imageId, l.class_id AS classId FROM labels l ORDER BY l.image_id LIMIT 3').all() as { imageId: number; classId: number }[]
      const other = db.prepare('SELECT id FROM classes WHERE id <> ? LIMIT 1').pluck().get(rows[0]!.classId) as number
      saveLabelIssueScan(db, { folds: 4, examined: 40, modelVersion: 'test', computedAt: Date.now() })
      replaceLabelIssues(db, rows.map((row, rank) => ({ imageId: row.imageId, givenClassId: row.classId, suggestedClassId: other, selfConfidence: 0.1, suggestedConfidence: 0.9, rank })))
      recordIssueDecision(db, rows[0]!.imageId, rows[0]!.classId, 'accepted')
      db.prepare('UPDATE labels SET class_id = ? WHERE image_id = ?').run(other, rows[0]!.imageId)
      recordIssueDecision(db, rows[1]!.imageId, rows[1]!.classId, 'rejected')
    })
    const outPath = join(dir, 'with-checks.html')
    await writeRunReport({ ...input, outPath }, recordingContext())
    const text = readFileSync(outPath, 'utf8')
    expect(text).not.toContain('Not computed')
    expect(text).toContain(`Accuracy of ${robustness.count} ${robustness.split} images under the fast gradient sign attack`)
    for (const point of robustness.points) {
      expect(text).toContain(`<td class="num">${(point.epsilon * 255).toFixed(1)}/255</td><td class="num">${percent(point.accuracy)}</td>`)
    }
    expect(text).toContain('(4-fold confident learning over 40 labeled images')
    expect(text).toMatch(/<tr><th>Found<\/th><td class="num">3<\/td><\/tr>\s*<tr><th>Relabeled \(suggestion accepted\)<\/th><td class="num">1<\/td><\/tr>\s*<tr><th>Kept \(label confirmed\)<\/th><td class="num">1<\/td><\/tr>\s*<tr><th>Pending<\/th><td class="num">1<\/td><\/tr>/)
  })
})
