import { endianness } from 'node:os'
import type { Database } from 'better-sqlite3'
import type { EvaluationSplit, ImageSplit } from '../../contract/types'

// A run's stored probabilities per image (table `predictions`, from v1, first used in v6). Rows belong to the run's
// evaluation (run_evaluations); they are written only through replaceRunEvaluation, in one transaction.

/** One image's model output, in the classifier's output order. */
export interface StoredPrediction {
  imageId: number
  probabilities: Float32Array
}

const LITTLE_ENDIAN = endianness() === 'LE'

/** float32 little-endian, as the schema promises, whatever the CPU's byte order. */
export function encodeProbabilities(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength))
  const buffer = Buffer.alloc(values.length * 4)
  values.forEach((value, index) => buffer.writeFloatLE(value, index * 4))
  return buffer
}

export function decodeProbabilities(blob: Uint8Array): Float32Array {
  const out = new Float32Array(blob.byteLength / 4)
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}

/** One stored probability without decoding the rest (top losses read one value per image). */
export function probabilityAt(blob: Uint8Array, index: number): number {
  if (index < 0 || (index + 1) * 4 > blob.byteLength) return 0
  return new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getFloat32(index * 4, true)
}

/** Index of the largest value (the first one on ties) and that value. */
export function argmax(values: Float32Array): { index: number; value: number } {
  let index = 0
  for (let i = 1; i < values.length; i++) if (values[i]! > values[index]!) index = i
  return { index, value: values[index]! }
}

/** Inserts a run's predictions; the caller owns the transaction (and has written run_evaluations first). */
export function insertPredictions(db: Database, runId: number, predictions: Iterable<StoredPrediction>): number {
  const insert = db.prepare(
    'INSERT INTO predictions (run_id, image_id, probabilities, predicted_index, confidence) VALUES (?, ?, ?, ?, ?)'
  )
  let count = 0
  for (const { imageId, probabilities } of predictions) {
    const { index, value } = argmax(probabilities)
    // float32 sums can round a hair past 1; the column is checked to lie in [0, 1].
    insert.run(runId, imageId, encodeProbabilities(probabilities), index, Math.min(1, Math.max(0, value)))
    count++
  }
  return count
}

/** SQL condition on `i.split` for an evaluation split, and its parameters ('all' = every image, split or not). */
function splitFilter(split: EvaluationSplit): { sql: string; params: ImageSplit[] } {
  return split === 'all' ? { sql: '1', params: [] } : { sql: 'i.split = ?', params: [split] }
}

/**
 * (current label, predicted index, count) over the split's images labeled with one of `classIds`.
 * `predictedIndex` null counts labeled images without a prediction (only readable ones: a file that
 * failed to import can never be scored). One grouped pass: no probabilities are read.
 */
export function labelPredictionCounts(
  db: Database,
  runId: number,
  classIds: readonly number[],
  split: EvaluationSplit
): { classId: number; predictedIndex: number | null; count: number }[] {
  const filter = splitFilter(split)
  return db
    .prepare(
      `SELECT l.class_id AS classId, p.predicted_index AS predictedIndex, count(*) AS count
       FROM labels l
       JOIN images i ON i.id = l.image_id
       LEFT JOIN predictions p ON p.run_id = ? AND p.image_id = l.image_id
       WHERE l.class_id IN (SELECT value FROM json_each(?))
         AND ${filter.sql}
         AND (p.image_id IS NOT NULL OR i.status = 'ok')
       GROUP BY l.class_id, p.predicted_index`
    )
    .all(runId, JSON.stringify(classIds), ...filter.params) as { classId: number; predictedIndex: number | null; count: number }[]
}

/** One predicted, currently labeled image with what the Review view lists about it. */
export interface LabeledPredictionRow {
  imageId: number
  relPath: string
  contentHash: string | null
  split: ImageSplit | null
  classId: number | null
  predictedIndex: number
  confidence: number
  probabilities: Buffer
}

const ROW_COLUMNS = `i.id AS imageId, i.rel_path AS relPath, i.content_hash AS contentHash, i.split,
  l.class_id AS classId, p.predicted_index AS predictedIndex, p.confidence, p.probabilities`

/** The images of one confusion cell (current label, predicted output), most confident first. */
export function cellRows(
  db: Database,
  runId: number,
  split: EvaluationSplit,
  classId: number,
  predictedIndex: number,
  limit: number
): LabeledPredictionRow[] {
  const filter = splitFilter(split)
  return db
    .prepare(
      `SELECT ${ROW_COLUMNS}
       FROM predictions p
       JOIN labels l ON l.image_id = p.image_id
       JOIN images i ON i.id = p.image_id
       WHERE p.run_id = ? AND l.class_id = ? AND p.predicted_index = ? AND ${filter.sql}
       ORDER BY p.confidence DESC, i.id
       LIMIT ?`
    )
    .all(runId, classId, predictedIndex, ...filter.params, limit) as LabeledPredictionRow[]
}

const withProbabilityFunction = new WeakSet<Database>()

/**
 * `pictor_probability_at(blob, index)` in SQL: one float32 LE value of a probabilities blob, so SQLite
 * can rank 100k predictions itself (a top-N sort) instead of handing every row to JavaScript.
 */
function registerProbabilityFunction(db: Database): void {
  if (withProbabilityFunction.has(db)) return
  db.function('pictor_probability_at', { deterministic: true }, (blob: unknown, index: unknown) =>
    blob instanceof Uint8Array && typeof index === 'number' ? probabilityAt(blob, index) : null
  )
  withProbabilityFunction.add(db)
}

/**
 * Ids of the split's predicted images labeled with one of `classIds`, the least likely label first
 * (= highest loss −ln p), ties by id; with `mistakesOnly`, only those whose prediction is not their label.
 */
export function lowestLabelProbabilityIds(
  db: Database,
  runId: number,
  classIds: readonly number[],
  split: EvaluationSplit,
  limit: number,
  mistakesOnly = false
): number[] {
  registerProbabilityFunction(db)
  const filter = splitFilter(split)
  return db
    .prepare(
      `SELECT p.image_id
       FROM predictions p
       JOIN labels l ON l.image_id = p.image_id
       JOIN images i ON i.id = p.image_id
       JOIN json_each(?) output ON output.value = l.class_id
       WHERE p.run_id = ? AND ${filter.sql} ${mistakesOnly ? 'AND p.predicted_index != output.key' : ''}
       ORDER BY pictor_probability_at(p.probabilities, output.key), p.image_id
       LIMIT ?`
    )
    .pluck()
    .all(JSON.stringify(classIds), runId, ...filter.params, limit) as number[]
}

/** Full rows for the given images of a run, in no particular order. */
export function predictionRows(db: Database, runId: number, imageIds: readonly number[]): LabeledPredictionRow[] {
  if (imageIds.length === 0) return []
  return db
    .prepare(
      `SELECT ${ROW_COLUMNS}
       FROM predictions p
       JOIN images i ON i.id = p.image_id
       LEFT JOIN labels l ON l.image_id = p.image_id
       WHERE p.run_id = ? AND p.image_id IN (SELECT value FROM json_each(?))`
    )
    .all(runId, JSON.stringify(imageIds)) as LabeledPredictionRow[]
}

export function countPredictions(db: Database, runId: number): number {
  return db.prepare('SELECT count(*) FROM predictions WHERE run_id = ?').pluck().get(runId) as number
}
