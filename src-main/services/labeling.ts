import type { Database } from 'better-sqlite3'
import type { ClassCount, LabelChange, LabelHistory } from '../contract/types'
import { AppError } from '../core/errors'
import {
  CLASS_PALETTE,
  HOTKEY_ORDER,
  findLiveClassByHotkey,
  findLiveClassByName,
  getClass,
  listClassesWithCounts,
  setClassDeleted,
  updateClass,
  type ClassRow
} from '../db/queries/classes'
import {
  actionChanges,
  earliestUndoneAction,
  latestDoneAction,
  recordAction,
  setActionUndone,
  type LabelChangeRow
} from '../db/queries/label-history'
import { currentLabels, imagesLabeled, writeLabels } from '../db/queries/labels'

/**
 * Every label change goes through here: it is written together with its undo record in one
 * transaction, so what the UI shows as done is on disk, and undo/redo survive a restart.
 */
export class Labeling {
  constructor(private readonly db: () => Database) {}

  /** Labels (or, with null, unlabels) images as one undoable action; unchanged images are left out. */
  assign(imageIds: readonly number[], classId: number | null): LabelChange {
    const db = this.db()
    const target = classId === null ? null : this.#liveClass(db, classId)
    return db.transaction(() => {
      const before = currentLabels(db, imageIds)
      const changes: LabelChangeRow[] = []
      for (const imageId of new Set(imageIds)) {
        const oldClassId = before.get(imageId) ?? null
        if (oldClassId !== classId) changes.push({ imageId, oldClassId, newClassId: classId })
      }
      this.#ensureImagesExist(db, imageIds)
      const noun = changes.length === 1 ? 'image' : `${changes.length} images`
      const description = target ? `Label ${noun} as ${target.name}` : `Remove the label of ${noun}`
      if (changes.length === 0) return { description, imageIds: [] }
      recordAction(db, description, changes)
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: c.newClassId })), 'user')
      return { description, imageIds: changes.map((c) => c.imageId) }
    })()
  }

  /**
   * Gives each image its own class as one undoable action (accepting model suggestions); `origin`
   * says who decided. Unchanged images are left out.
   */
  assignEach(
    targets: readonly { imageId: number; classId: number }[],
    description: string,
    origin: 'user' | 'model'
  ): LabelChange {
    const db = this.db()
    return db.transaction(() => {
      for (const classId of new Set(targets.map((t) => t.classId))) this.#liveClass(db, classId)
      this.#ensureImagesExist(db, targets.map((t) => t.imageId))
      const before = currentLabels(db, targets.map((t) => t.imageId))
      const changes = targets
        .map(({ imageId, classId }) => ({ imageId, oldClassId: before.get(imageId) ?? null, newClassId: classId }))
        .filter((c) => c.oldClassId !== c.newClassId)
      if (changes.length === 0) return { description, imageIds: [] }
      recordAction(db, description, changes, { origin })
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: c.newClassId })), origin)
      return { description, imageIds: changes.map((c) => c.imageId) }
    })()
  }

  undo(): LabelChange | null {
    const db = this.db()
    return db.transaction(() => {
      const action = latestDoneAction(db)
      if (!action) return null
      const changes = actionChanges(db, action.id)
      // A class this action deleted (merge, delete) comes back before its labels do.
      if (action.deletesClassId !== null) this.#restoreClass(db, action.deletesClassId)
      // Each label comes back with whoever had decided it (rows from before v6 have no origin: 'user').
      for (const origin of ['folder', 'user', 'model'] as const) {
        const restored = changes.filter((c) => (c.oldOrigin ?? 'user') === origin)
        writeLabels(db, restored.map((c) => ({ imageId: c.imageId, classId: c.oldClassId })), origin)
      }
      setActionUndone(db, action.id, true)
      return { description: `Undo: ${action.description}`, imageIds: changes.map((c) => c.imageId) }
    })()
  }

  redo(): LabelChange | null {
    const db = this.db()
    return db.transaction(() => {
      const action = earliestUndoneAction(db)
      if (!action) return null
      const changes = actionChanges(db, action.id)
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: c.newClassId })), action.origin)
      if (action.deletesClassId !== null) setClassDeleted(db, action.deletesClassId, Date.now())
      setActionUndone(db, action.id, false)
      return { description: `Redo: ${action.description}`, imageIds: changes.map((c) => c.imageId) }
    })()
  }

  history(): LabelHistory {
    const db = this.db()
    return { undo: latestDoneAction(db)?.description ?? null, redo: earliestUndoneAction(db)?.description ?? null }
  }

  createClass(name: string, color?: string, hotkey?: string | null): ClassCount {
    const db = this.db()
    return db.transaction(() => {
      if (findLiveClassByName(db, name)) throw new AppError('ALREADY_EXISTS', `a class named “${name}” already exists`)
      if (hotkey) this.#freeHotkey(db, hotkey, null)
      const { total, lastPosition } = db
        .prepare('SELECT count(*) AS total, coalesce(max(position), -1) AS lastPosition FROM classes')
        .get() as { total: number; lastPosition: number }
      const used = new Set(listClassesWithCounts(db).map((c) => c.hotkey))
      const key = hotkey === undefined ? (HOTKEY_ORDER.find((k) => !used.has(k)) ?? null) : hotkey
      const id = Number(
        db
          .prepare('INSERT INTO classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(name, color ?? CLASS_PALETTE[total % CLASS_PALETTE.length]!, key, lastPosition + 1, Date.now()).lastInsertRowid
      )
      return this.#summary(db, id)
    })()
  }

  updateClass(id: number, changes: { name?: string; color?: string; hotkey?: string | null }): ClassCount {
    const db = this.db()
    return db.transaction(() => {
      this.#liveClass(db, id)
      if (changes.name !== undefined) {
        const clash = findLiveClassByName(db, changes.name)
        if (clash && clash.id !== id) {
          throw new AppError('ALREADY_EXISTS', `a class named “${changes.name}” already exists; merge them instead`)
        }
      }
      if (changes.hotkey) this.#freeHotkey(db, changes.hotkey, id)
      updateClass(db, id, changes)
      return this.#summary(db, id)
    })()
  }

  /** Relabels every image of `sourceId` as `targetId` and deletes the source: one undo entry. */
  mergeClasses(sourceId: number, targetId: number): LabelChange {
    if (sourceId === targetId) throw new AppError('INVALID_REQUEST', 'a class cannot be merged into itself')
    const db = this.db()
    return db.transaction(() => {
      const source = this.#liveClass(db, sourceId)
      const target = this.#liveClass(db, targetId)
      const imageIds = imagesLabeled(db, sourceId)
      const changes = imageIds.map((imageId) => ({ imageId, oldClassId: sourceId, newClassId: targetId }))
      const description = `Merge ${source.name} into ${target.name} (${plural(imageIds.length, 'image')})`
      recordAction(db, description, changes, { deletesClassId: sourceId })
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: targetId })), 'user')
      setClassDeleted(db, sourceId, Date.now())
      return { description, imageIds }
    })()
  }

  /** Deletes a class; its images become unlabeled (not deleted). One undo entry brings both back. */
  deleteClass(id: number): LabelChange {
    const db = this.db()
    return db.transaction(() => {
      const doomed = this.#liveClass(db, id)
      const imageIds = imagesLabeled(db, id)
      const changes = imageIds.map((imageId) => ({ imageId, oldClassId: id, newClassId: null }))
      const description = `Delete class ${doomed.name} (${plural(imageIds.length, 'image')} now unlabeled)`
      recordAction(db, description, changes, { deletesClassId: id })
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: null })), 'user')
      setClassDeleted(db, id, Date.now())
      return { description, imageIds }
    })()
  }

  /**
   * Brings a soft-deleted class back. If its name was reused meanwhile, it returns as "name (2)"
   * rather than failing the undo: the user can rename or merge afterwards.
   */
  #restoreClass(db: Database, id: number): void {
    const row = getClass(db, id)
    if (!row) return
    let name = row.name
    for (let copy = 2; findLiveClassByName(db, name); copy++) name = `${[...row.name].slice(0, 90).join('')} (${copy})`
    if (name !== row.name) updateClass(db, id, { name })
    setClassDeleted(db, id, null)
  }

  #liveClass(db: Database, id: number): ClassRow {
    const row = getClass(db, id)
    if (!row || row.deletedAt !== null) throw new AppError('NOT_FOUND', `class ${id} does not exist`)
    return row
  }

  /** A hotkey belongs to one class: taking it moves it away from whoever had it. */
  #freeHotkey(db: Database, hotkey: string, keeper: number | null): void {
    const owner = findLiveClassByHotkey(db, hotkey)
    if (owner && owner.id !== keeper) updateClass(db, owner.id, { hotkey: null })
  }

  #ensureImagesExist(db: Database, imageIds: readonly number[]): void {
    const exists = db.prepare('SELECT 1 FROM images WHERE id = ?').pluck()
    const missing = imageIds.find((imageId) => exists.get(imageId) === undefined)
    if (missing !== undefined) throw new AppError('NOT_FOUND', `image ${missing} does not exist`)
  }

  #summary(db: Database, id: number): ClassCount {
    return listClassesWithCounts(db).find((c) => c.id === id)!
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
