import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProjectDatabase } from '../../../src-main/db/connection'
import { decodeProbabilities, encodeProbabilities } from '../../../src-main/db/queries/predictions'
import { insertProject } from '../../../src-main/db/queries/project'
import { getRunEvaluation, labelsChangedSince, replaceRunEvaluation } from '../../../src-main/db/queries/run-evaluations'
import { latestRunWithModel } from '../../../src-main/db/queries/training-runs'
import { evaluationReport } from '../../../src-main/review/evaluate-report'
import { cellItems, topLossItems } from '../../../src-main/review/review-items'
import { Labeling } from '../../../src-main/services/labeling'
import { expectAppError } from '../../helpers/app-error'
import { useTempDir } from '../../helpers/temp-dir'

// The read side of Review on a hand-built project file (no model needed): stored predictions scored
// against current labels and splits, with every number below worked out by hand.

const tempDir = useTempDir()
let db: Database

// Classes: cat (1), dog (2), fox (3, deleted after training, was "fox" in the run), and bird (4), which
// the run never saw. The run's outputs are [cat, dog, fox] = class ids [1, 2, 3].
// Images (id: split, label → stored probabilities [cat, dog, fox]):
//   1: test, cat → [0.7, 0.2, 0.1]  predicted cat (right)
//   2: test, cat → [0.2, 0.5, 0.3]  predicted dog (wrong, p(cat) = 0.2)
//   3: test, dog → [0.1, 0.8, 0.1]  predicted dog (right)
//   4: test, dog → [0.6, 0.3, 0.1]  predicted cat (wrong, p(dog) = 0.3)
//   5: train, cat → [0.9, 0.05, 0.05] predicted cat
//   6: no split, dog → [0.05, 0.05, 0.9] predicted fox (p(dog) = 0.05: the worst loss)
//   7: test, bird → [0.4, 0.4, 0.2]  label not a run class: never scored
//   8: test, dog, no prediction (imported later): unscored
//   9: test, dog, failed import, no prediction: cannot be scored, not counted
//  10: test, unlabeled → [0.3, 0.3, 0.4]  not scored
const P: Record<number, number[]> = {
  1: [0.7, 0.2, 0.1],
  2: [0.2, 0.5, 0.3],
  3: [0.1, 0.8, 0.1],
  4: [0.6, 0.3, 0.1],
  5: [0.9, 0.05, 0.05],
  6: [0.05, 0.05, 0.9],
  7: [0.4, 0.4, 0.2],
  10: [0.3, 0.3, 0.4]
}

beforeEach(() => {
  db = createProjectDatabase(join(tempDir(), 'review.pictor'), (fresh) => insertProject(fresh, { name: 'Review', createdAt: 1 }))
  db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (1, '/photos', 1)").run()
  const addClass = db.prepare("INSERT INTO classes (id, name, color, position, created_at, deleted_at) VALUES (?, ?, '#123456', ?, 1, ?)")
  addClass.run(1, 'cat', 0, null)
  addClass.run(2, 'dog', 1, null)
  addClass.run(3, 'fox', 2, 50) // deleted at t=50, after training
  addClass.run(4, 'bird', 3, null)
  const image = db.prepare(
    `INSERT INTO images (id, source_id, rel_path, status, error_code, bytes, mtime_ms, content_hash, split, split_origin, imported_at)
     VALUES (?, 1, ?, ?, ?, 1, 1, ?, ?, ?, 1)`
  )
  const splits: Record<number, string | null> = { 1: 'test', 2: 'test', 3: 'test', 4: 'test', 5: 'train', 6: null, 7: 'test', 8: 'test', 9: 'test', 10: 'test' }
  for (let id = 1; id <= 10; id++) {
    const failed = id === 9
    image.run(id, `img-${id}.png`, failed ? 'failed' : 'ok', failed ? 'DECODE' : null, `h${id}`, splits[id], splits[id] ? 'auto' : null)
  }
  const label = db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'folder', 5)")
  for (const [imageId, classId] of [[1, 1], [2, 1], [3, 2], [4, 2], [5, 1], [6, 2], [7, 4], [8, 2], [9, 2]]) label.run(imageId, classId)
  db.prepare(
    `INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at, started_at, finished_at)
     VALUES (1, 'cnn', 'done', '{}', '["cat","dog","fox"]', 8, 10, 20)`
  ).run()
  db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (1, '{}', '[]', x'00', 20)").run()
  replaceRunEvaluation(
    db,
    { runId: 1, classIds: [1, 2, 3], engine: 'tfjs-wasm', computedAt: 30 },
    Object.entries(P).map(([imageId, values]) => ({ imageId: Number(imageId), probabilities: Float32Array.from(values) }))
  )
})

afterEach(() => db.close())

describe('stored predictions', () => {
  it('are float32 little-endian with the argmax and its probability', () => {
    const row = db.prepare('SELECT probabilities, predicted_index AS predictedIndex, confidence FROM predictions WHERE run_id = 1 AND image_id = 2').get() as {
      probabilities: Buffer
      predictedIndex: number
      confidence: number
    }
    expect(row.probabilities).toHaveLength(12)
    expect(row.probabilities.readFloatLE(4)).toBeCloseTo(0.5, 6)
    expect([...decodeProbabilities(row.probabilities)].map((value) => Number(value.toFixed(6)))).toEqual([0.2, 0.5, 0.3])
    expect(row).toMatchObject({ predictedIndex: 1, confidence: expect.closeTo(0.5, 6) })
    expect(decodeProbabilities(encodeProbabilities(Float32Array.from([1, 0.25])))).toEqual(Float32Array.from([1, 0.25]))
  })

  it('are replaced whole: a second evaluation leaves no row of the first', () => {
    replaceRunEvaluation(db, { runId: 1, classIds: [1, 2, 3], engine: 'onnxruntime', computedAt: 40 }, [
      { imageId: 1, probabilities: Float32Array.from([0.1, 0.1, 0.8]) }
    ])
    expect(db.prepare('SELECT image_id FROM predictions WHERE run_id = 1').pluck().all()).toEqual([1])
    expect(getRunEvaluation(db, 1)).toEqual({ runId: 1, classIds: [1, 2, 3], engine: 'onnxruntime', computedAt: 40 })
  })
})

describe('evaluationReport', () => {
  it('test split: images 1-4 scored, 8 unscored, 7 (not a run class), 9 (failed) and 10 (unlabeled) left out', () => {
    const evaluation = evaluationReport(db, 1, 'test')!
    // Rows are labels cat, dog, fox; columns predictions. 1: cat→cat, 2: cat→dog, 3: dog→dog, 4: dog→cat.
    expect(evaluation.confusion).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [0, 0, 0]
    ])
    expect(evaluation).toMatchObject({ runId: 1, split: 'test', classIds: [1, 2, 3], count: 4, accuracy: 0.5, unscored: 1, engine: 'tfjs-wasm', computedAt: 30 })
    // cat: precision 1/2, recall 1/2, F1 2/(2+1+1) = 0.5; fox: never predicted and no images.
    expect(evaluation.perClass).toEqual([
      { classId: 1, name: 'cat', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { classId: 2, name: 'dog', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { classId: 3, name: 'fox', precision: null, recall: null, f1: null, support: 0 }
    ])
  })

  it("'all' covers every split and images without one: 5 (train) and 6 (no split) join", () => {
    const evaluation = evaluationReport(db, 1, 'all')!
    // + 5: cat→cat, + 6: dog→fox.
    expect(evaluation.confusion).toEqual([
      [2, 1, 0],
      [1, 1, 1],
      [0, 0, 0]
    ])
    expect(evaluation.count).toBe(6)
    expect(evaluation.accuracy).toBeCloseTo(3 / 6, 12)
    // fox predicted once, wrongly: precision 0/1 = 0, recall 0/0 = null, F1 0/(0+1+0) = 0.
    expect(evaluation.perClass[2]).toEqual({ classId: 3, name: 'fox', precision: 0, recall: null, f1: 0, support: 0 })
    expect(evaluationReport(db, 1, 'train')).toMatchObject({ count: 1, accuracy: 1, unscored: 0 })
    expect(evaluationReport(db, 1, 'val')).toMatchObject({ count: 0, accuracy: null, unscored: 0 })
  })

  it('follows current labels, splits and class names without touching the predictions', () => {
    new Labeling(() => db).assign([2], 2) // cat→dog: now right
    db.prepare("UPDATE images SET split = 'train', split_origin = 'user' WHERE id = 4").run()
    db.prepare("UPDATE classes SET name = 'kitty' WHERE id = 1").run()
    const evaluation = evaluationReport(db, 1, 'test')!
    expect(evaluation.confusion).toEqual([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 0]
    ])
    expect(evaluation.accuracy).toBe(1)
    // A renamed class shows its new name; the deleted fox keeps the name the run trained it under.
    expect(evaluation.labels).toEqual(['kitty', 'dog', 'fox'])
    expect(evaluation.stale).toBe(true)
  })

  it('is stale once an action after the run changed a label, or an image imported after it brought one', () => {
    expect(evaluationReport(db, 1, 'test')!.stale).toBe(false)
    expect(labelsChangedSince(db, 10)).toBe(false)
    // An action at t=11 removed img-8's label (dog): the run, which started at 10, read it as dog.
    const action = Number(db.prepare("INSERT INTO label_actions (description, created_at) VALUES ('Clear img-8', 11)").run().lastInsertRowid)
    db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, 8, 2, NULL)').run(action)
    db.prepare('DELETE FROM labels WHERE image_id = 8').run()
    expect(labelsChangedSince(db, 10)).toBe(true)
    expect(labelsChangedSince(db, 11)).toBe(false)
    // An image imported after the run, labeled by its folder: the run never saw that label.
    db.prepare(
      `INSERT INTO images (id, source_id, rel_path, status, bytes, mtime_ms, content_hash, split, split_origin, imported_at)
       VALUES (11, 1, 'dog/late.png', 'ok', 1, 1, 'h11', 'test', 'folder', 12)`
    ).run()
    db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (11, 2, 'folder', 12)").run()
    expect(labelsChangedSince(db, 11)).toBe(true)
    expect(labelsChangedSince(db, 12)).toBe(false)
  })

  it('is stale while the labels differ from what the run read, and no longer once the change is undone (issue 14)', () => {
    const labeling = new Labeling(() => db)
    const stale = () => evaluationReport(db, 1, 'test')!.stale
    expect(stale()).toBe(false)
    labeling.assign([2], 2) // cat → dog
    expect(stale()).toBe(true)
    labeling.undo()
    expect(db.prepare('SELECT class_id FROM labels WHERE image_id = 2').pluck().get()).toBe(1)
    expect(stale()).toBe(false)
    labeling.redo()
    expect(stale()).toBe(true)
    labeling.undo()
    expect(stale()).toBe(false)
    // Relabeled and relabeled back by hand: two actions, and the label the run read.
    labeling.assign([2], 2)
    labeling.assign([2], 1)
    expect(stale()).toBe(false)
    // A whole class deleted (its images unlabeled), then brought back.
    labeling.deleteClass(2)
    expect(stale()).toBe(true)
    labeling.undo()
    expect(stale()).toBe(false)
    // An image the run saw unlabeled, labeled and unlabeled again.
    labeling.assign([10], 1)
    expect(stale()).toBe(true)
    labeling.assign([10], null)
    expect(stale()).toBe(false)
    // Relabel, undo, relabel another image: the new action drops the undone one (and its record)
    // from the redo stack. Undoing the second puts every label back as the run read it.
    labeling.assign([3], 1)
    labeling.undo()
    labeling.assign([4], 1)
    expect(db.prepare('SELECT count(*) FROM label_changes WHERE image_id = 3').pluck().get()).toBe(0)
    expect(stale()).toBe(true)
    labeling.undo()
    expect(stale()).toBe(false)
  })

  it('is stale when an action from before the run is undone after it, and not once it is redone', () => {
    const labeling = new Labeling(() => db)
    const stale = () => evaluationReport(db, 1, 'test')!.stale
    // Img-1 relabeled cat→dog at t=6, before the run (t=10), and undone after it: img-1 is cat again,
    // which the run never read.
    const relabel = Number(db.prepare("INSERT INTO label_actions (description, created_at) VALUES ('Label image as dog', 6)").run().lastInsertRowid)
    db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, 1, 1, 2)').run(relabel)
    db.prepare("UPDATE labels SET class_id = 2, origin = 'user', updated_at = 6 WHERE image_id = 1").run()
    expect(stale()).toBe(false)
    labeling.undo()
    expect(db.prepare('SELECT class_id FROM labels WHERE image_id = 1').pluck().get()).toBe(1)
    expect(stale()).toBe(true)
    labeling.redo()
    expect(stale()).toBe(false)
  })

  it('is null for a run never evaluated; the default run is the latest finished one with a model', () => {
    db.prepare("INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (2, 'cnn', 'done', '{}', '[]', 9)").run()
    db.prepare("INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (3, 'cnn', 'failed', '{}', '[]', 9)").run()
    db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (3, '{}', '[]', x'00', 20)").run()
    expect(evaluationReport(db, 2, 'test')).toBeNull()
    // 2 has no model, 3 did not finish: 1 is the latest evaluable run.
    expect(latestRunWithModel(db)).toBe(1)
    db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (2, '{}', '[]', x'00', 20)").run()
    expect(latestRunWithModel(db)).toBe(2)
  })
})

describe('cellItems and topLossItems', () => {
  const stored = () => getRunEvaluation(db, 1)!

  it('lists a cell most confident first with the probability and loss of the current label', () => {
    db.prepare("UPDATE labels SET class_id = 1 WHERE image_id = 3").run() // now cat→dog, like image 2
    const items = cellItems(db, stored(), { split: 'test', trueClassId: 1, predictedClassId: 2, limit: 10 })
    // Image 3 (p(dog) = 0.8) before image 2 (0.5).
    expect(items.map((item) => item.imageId)).toEqual([3, 2])
    expect(items[0]).toMatchObject({ relPath: 'img-3.png', contentHash: 'h3', split: 'test', trueClassId: 1, predictedClassId: 2 })
    expect(items[0]!.confidence).toBeCloseTo(0.8, 6)
    expect(items[0]!.trueProbability).toBeCloseTo(0.1, 6)
    expect(items[0]!.loss).toBeCloseTo(-Math.log(0.1), 5)
    expect(cellItems(db, stored(), { split: 'test', trueClassId: 1, predictedClassId: 2, limit: 1 })).toHaveLength(1)
    expect(cellItems(db, stored(), { split: 'train', trueClassId: 1, predictedClassId: 2, limit: 10 })).toEqual([])
    expectAppError(() => cellItems(db, stored(), { split: 'test', trueClassId: 4, predictedClassId: 1, limit: 10 }), 'INVALID_REQUEST')
  })

  it('ranks labeled images by −ln p(label): 6 (0.05), 2 (0.2), 4 (0.3), 1 (0.7), 3 (0.8)', () => {
    const top = topLossItems(db, stored(), { split: 'all', limit: 4, mistakesOnly: false })
    expect(top.map((item) => item.imageId)).toEqual([6, 2, 4, 1])
    expect(top.map((item) => item.loss!)).toEqual([-Math.log(0.05), -Math.log(0.2), -Math.log(0.3), -Math.log(0.7)].map((value) => expect.closeTo(value, 5)))
    expect(top[0]).toMatchObject({ split: null, trueClassId: 2, predictedClassId: 3 })
    // Only the test split, and never the bird (7) or the unlabeled image (10).
    expect(topLossItems(db, stored(), { split: 'test', limit: 100, mistakesOnly: false }).map((item) => item.imageId)).toEqual([2, 4, 1, 3])
  })

  it('mistakes only: leaves out the images predicted as labeled, still highest loss first (issue 14)', () => {
    // 6 (dog→fox), 2 (cat→dog) and 4 (dog→cat) are wrong; 5, 1 and 3 are right and drop out.
    const mistakes = topLossItems(db, stored(), { split: 'all', limit: 100, mistakesOnly: true })
    expect(mistakes.map((item) => item.imageId)).toEqual([6, 2, 4])
    expect(mistakes.every((item) => item.trueClassId !== item.predictedClassId)).toBe(true)
    expect(topLossItems(db, stored(), { split: 'all', limit: 2, mistakesOnly: true }).map((item) => item.imageId)).toEqual([6, 2])
    // A relabel that makes the prediction right takes the image out at once.
    db.prepare('UPDATE labels SET class_id = 2 WHERE image_id = 2').run()
    expect(topLossItems(db, stored(), { split: 'test', limit: 100, mistakesOnly: true }).map((item) => item.imageId)).toEqual([4])
  })
})
