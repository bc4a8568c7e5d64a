import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { ImageSplit } from '../../contract/types'

/** One class the model will learn, in output order. */
export interface TrainingClass {
  id: number
  name: string
}

/** One labelled, readable image: what the data pipeline needs to decode it and score it. */
export interface TrainingExample {
  imageId: number
  /** Absolute path: the source's root joined with the image's relative path. */
  path: string
  /** sha256 of the file; the decoded-pixel cache key (duplicates share an entry). */
  contentHash: string | null
  /** Index into `classes`, i.e. the model's output unit for this image's label. */
  classIndex: number
  split: ImageSplit | null
}

export interface TrainingExamples {
  classes: TrainingClass[]
  examples: TrainingExample[]
}

/**
 * Everything a training run trains and evaluates on. Only 'ok' images (a failed or missing file
 * cannot be decoded) with a label on a live class (a soft-deleted class is gone for the user, so it
 * must not be a model output). Classes come in display order, which becomes the model's output
 * order; a live class with no images is still listed, so output indices match what the user sees.
 */
export function loadTrainingExamples(db: Database): TrainingExamples {
  const classes = db
    .prepare('SELECT id, name FROM classes WHERE deleted_at IS NULL ORDER BY position, id')
    .all() as TrainingClass[]
  const indexOf = new Map(classes.map((entry, index) => [entry.id, index]))
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, s.root_path AS root, i.rel_path AS relPath, i.content_hash AS contentHash,
              l.class_id AS classId, i.split
       FROM images i
       JOIN sources s ON s.id = i.source_id
       JOIN labels l ON l.image_id = i.id
       JOIN classes c ON c.id = l.class_id AND c.deleted_at IS NULL
       WHERE i.status = 'ok'
       ORDER BY i.id`
    )
    .all() as { imageId: number; root: string; relPath: string; contentHash: string | null; classId: number; split: ImageSplit | null }[]
  const examples = rows.map((row) => ({
    imageId: row.imageId,
    // join, like the preview and import code: rel_path uses '/', which join accepts on every OS.
    path: join(row.root, row.relPath),
    contentHash: row.contentHash,
    classIndex: indexOf.get(row.classId)!,
    split: row.split
  }))
  return { classes, examples }
}
