import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { SuggestionSummary } from '../../contract/types'
import { writeTransaction } from '../transaction'

/**
 * A suggestion counts only while its image is unlabeled and its class is live. Rows of labeled
 * images are kept, not deleted, so unlabeling (or undoing an accept) brings the suggestion back.
 * `sg` is the suggestions row, `i` its image.
 */
export const VISIBLE_SUGGESTION = `NOT EXISTS (SELECT 1 FROM labels vl WHERE vl.image_id = sg.image_id)
  AND EXISTS (SELECT 1 FROM classes vc WHERE vc.id = sg.class_id AND vc.deleted_at IS NULL)`

export interface SuggestionRow {
  imageId: number
  classId: number
  confidence: number
}

/** An image the suggest job predicts: unlabeled, readable. */
export interface UnlabeledImage {
  imageId: number
  path: string
  contentHash: string | null
}

/** Every unlabeled 'ok' image, in import order. */
export function unlabeledImages(db: Database): UnlabeledImage[] {
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, s.root_path AS root, i.rel_path AS relPath, i.content_hash AS contentHash
       FROM images i JOIN sources s ON s.id = i.source_id
       WHERE i.status = 'ok' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)
       ORDER BY i.id`
    )
    .all() as { imageId: number; root: string; relPath: string; contentHash: string | null }[]
  return rows.map((row) => ({ imageId: row.imageId, path: join(row.root, row.relPath), contentHash: row.contentHash }))
}

export function hasUnlabeledImages(db: Database): boolean {
  return (
    db
      .prepare(`SELECT 1 FROM images i WHERE i.status = 'ok' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id) LIMIT 1`)
      .pluck()
      .get() !== undefined
  )
}

/**
 * Writes one batch of a job's suggestions, replacing the image's older one. Every row of one job
 * carries the same `computedAt`, which is how `dropSuggestionsNotFrom` tells the job's rows apart.
 */
export function writeSuggestions(db: Database, runId: number, rows: readonly SuggestionRow[], computedAt: number): void {
  const upsert = db.prepare(
    `INSERT INTO suggestions (image_id, run_id, class_id, confidence, computed_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (image_id) DO UPDATE SET run_id = excluded.run_id, class_id = excluded.class_id,
       confidence = excluded.confidence, computed_at = excluded.computed_at`
  )
  writeTransaction(db, () => {
    for (const row of rows) upsert.run(row.imageId, runId, row.classId, clamp01(row.confidence), computedAt)
  })
}

/**
 * Once a job has finished, suggestions from earlier jobs (images labeled since, a previous model)
 * are stale: a later unlabel must not bring back an older model's guess.
 */
export function dropSuggestionsNotFrom(db: Database, runId: number, computedAt: number): number {
  return db.prepare('DELETE FROM suggestions WHERE run_id <> ? OR computed_at <> ?').run(runId, computedAt).changes
}

/**
 * The latest job's run and time, how many unlabeled images have a suggestion, and how many of them
 * reach each whole percent of confidence; null before any job.
 */
export function suggestionSummary(db: Database): SuggestionSummary | null {
  const latest = db
    .prepare('SELECT run_id AS runId, computed_at AS computedAt FROM suggestions ORDER BY computed_at DESC LIMIT 1')
    .get() as { runId: number; computedAt: number } | undefined
  if (!latest) return null
  const confidences = db
    .prepare(
      `SELECT sg.confidence FROM suggestions sg JOIN images i ON i.id = sg.image_id
       WHERE i.status = 'ok' AND ${VISIBLE_SUGGESTION}`
    )
    .pluck()
    .all() as number[]
  return { ...latest, count: confidences.length, atLeast: countsAtLeast(confidences) }
}

/**
 * counts[n] = values ≥ n/100. Each value's percent is fixed with the same double comparison the
 * accept query makes (`confidence >= n/100`), so the count shown is exactly what accepting labels.
 */
export function countsAtLeast(values: readonly number[]): number[] {
  const exact = new Array<number>(101).fill(0)
  for (const value of values) exact[confidencePercent(value)]!++
  for (let n = 99; n >= 0; n--) exact[n]! += exact[n + 1]!
  return exact
}

/** The highest whole percent n with `value >= n/100`, compared as the accept query compares. */
export function confidencePercent(value: number): number {
  let percent = Math.min(100, Math.max(0, Math.floor(value * 100)))
  if (percent < 100 && value >= (percent + 1) / 100) percent++
  else if (percent > 0 && value < percent / 100) percent--
  return percent
}

/**
 * The confidence of each listed image's suggestion whose class is live, labeled or not: a label
 * only hides it, so this tells which suggestions a label change hides or shows again.
 */
export function liveSuggestionConfidences(db: Database, imageIds: readonly number[]): Map<number, number> {
  const select = db
    .prepare(
      `SELECT sg.confidence FROM suggestions sg JOIN classes c ON c.id = sg.class_id
       WHERE sg.image_id = ? AND c.deleted_at IS NULL`
    )
    .pluck()
  const confidences = new Map<number, number>()
  for (const imageId of imageIds) {
    const confidence = select.get(imageId) as number | undefined
    if (confidence !== undefined) confidences.set(imageId, confidence)
  }
  return confidences
}

/** Visible suggestions of these images (others are left out), in the order given. */
export function suggestionsFor(db: Database, imageIds: readonly number[]): SuggestionRow[] {
  const select = db.prepare(
    `SELECT sg.image_id AS imageId, sg.class_id AS classId, sg.confidence FROM suggestions sg
     JOIN images i ON i.id = sg.image_id
     WHERE sg.image_id = ? AND i.status = 'ok' AND ${VISIBLE_SUGGESTION}`
  )
  const rows: SuggestionRow[] = []
  for (const imageId of new Set(imageIds)) {
    const row = select.get(imageId) as SuggestionRow | undefined
    if (row) rows.push(row)
  }
  return rows
}

/** Visible suggestions at or above a confidence, most confident first. */
export function suggestionsAtLeast(db: Database, minConfidence: number): SuggestionRow[] {
  return db
    .prepare(
      `SELECT sg.image_id AS imageId, sg.class_id AS classId, sg.confidence FROM suggestions sg
       JOIN images i ON i.id = sg.image_id
       WHERE sg.confidence >= ? AND i.status = 'ok' AND ${VISIBLE_SUGGESTION}
       ORDER BY sg.confidence DESC, sg.image_id`
    )
    .all(minConfidence) as SuggestionRow[]
}

/** Float32 probabilities can overshoot 1 by an ulp; the table's CHECK would refuse them. */
function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0
}
