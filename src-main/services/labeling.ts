import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import type { ClassCount, LabelChange, LabelHistory } from '../contract/types'
import { AppError } from '../core/errors'
import { allFound, notFound } from '../core/not-found'
import {
  findLiveClassByHotkey,
  findLiveClassByName,
  getClass,
  insertClass,
  listClassesWithCounts,
  setClassDeleted,
  updateClass,
  type ClassRow
} from '../db/queries/classes'
import { imageStatuses } from '../db/queries/images'
import {
  actionChanges,
  earliestUndoneAction,
  latestDoneAction,
  recordAction,
  setActionUndone,
  type ActionOrigin,
  type LabelChangeRow
} from '../db/queries/label-history'
import { currentLabels, imagesLabeled, writeLabels } from '../db/queries/labels'
import { writeTransaction } from '../db/transaction'
import { countLabelMoves, type LabelMove } from './label-counts'

/**
 * Every label change goes through here: it is written together with its undo record in one
 * transaction, so what the UI shows as done is on disk, and undo/redo survive a restart. Each change
 * comes back with what it moved (undo/redo, counts, classes), computed in the same transaction.
 */
export class Labeling {
  constructor(private readonly db: () => Database) {}

  /** Labels (or, with null, unlabels) images as one undoable action; unchanged images are left out. */
  assign(imageIds: readonly number[], classId: number | null): LabelChange {
    const db = this.db()
    return writeTransaction(db, () => {
      const target = classId === null ? null : this.#liveClass(db, classId)
      this.#ensureImagesExist(db, imageIds)
      const before = currentLabels(db, imageIds)
      const changes: LabelChangeRow[] = []
      for (const imageId of new Set(imageIds)) {
        const oldClassId = before.get(imageId) ?? null
        if (oldClassId !== classId) changes.push({ imageId, oldClassId, newClassId: classId })
      }
      const noun = changes.length === 1 ? 'image' : `${changes.length} images`
      const description = target ? `Label ${noun} as ${target.name}` : `Remove the label of ${noun}`
      if (changes.length === 0) return this.#unchanged(db, description)
      recordAction(db, description, changes)
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: c.newClassId })), 'user')
      // A new action empties the redo stack, and it is what Ctrl+Z undoes now.
      return this.#changed(db, description, changes, { undo: description, redo: null })
    })
  }

  /**
   * Gives each image its own class as one undoable action (accepting model suggestions); `origin`
   * says who decided. Unchanged images are left out.
   */
  assignEach(
    targets: readonly { imageId: number; classId: number }[],
    description: string,
    origin: ActionOrigin
  ): LabelChange {
    const db = this.db()
    return writeTransaction(db, () => {
      for (const classId of new Set(targets.map((t) => t.classId))) this.#liveClass(db, classId)
      this.#ensureImagesExist(db, targets.map((t) => t.imageId))
      const before = currentLabels(db, targets.map((t) => t.imageId))
      const changes = targets
        .map(({ imageId, classId }) => ({ imageId, oldClassId: before.get(imageId) ?? null, newClassId: classId }))
        .filter((c) => c.oldClassId !== c.newClassId)
      if (changes.length === 0) return this.#unchanged(db, description)
      recordAction(db, description, changes, { origin })
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: c.newClassId })), origin)
      return this.#changed(db, description, changes, { undo: description, redo: null })
    })
  }

  undo(): LabelChange | null {
    const db = this.db()
    return writeTransaction(db, () => {
      const action = latestDoneAction(db)
      if (!action) return null
      const changes = actionChanges(db, action.id)
      // A class this action deleted (merge, delete) comes back before its labels do.
      if (action.deletesClassId !== null) this.#restoreClass(db, action.deletesClassId)
      // Each label comes back with whoever had decided it (rows from before v6 have no origin: 'user').
      for (const origin of ['folder', 'user', 'model', 'import'] as const) {
        const restored = changes.filter((c) => (c.oldOrigin ?? 'user') === origin)
        writeLabels(db, restored.map((c) => ({ imageId: c.imageId, classId: c.oldClassId })), origin)
      }
      setActionUndone(db, action.id, true)
      const moves = changes.map((c) => ({ imageId: c.imageId, oldClassId: c.newClassId, newClassId: c.oldClassId }))
      // Done actions are a prefix of the history: the one just undone is now the first to redo.
      const history = { undo: latestDoneAction(db)?.description ?? null, redo: action.description }
      return this.#changed(db, `Undo: ${action.description}`, moves, history, action.deletesClassId !== null)
    })
  }

  redo(): LabelChange | null {
    const db = this.db()
    return writeTransaction(db, () => {
      const action = earliestUndoneAction(db)
      if (!action) return null
      const changes = actionChanges(db, action.id)
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: c.newClassId })), action.origin)
      if (action.deletesClassId !== null) setClassDeleted(db, action.deletesClassId, Date.now())
      setActionUndone(db, action.id, false)
      const history = { undo: action.description, redo: earliestUndoneAction(db)?.description ?? null }
      return this.#changed(db, `Redo: ${action.description}`, changes, history, action.deletesClassId !== null)
    })
  }

  history(): LabelHistory {
    const db = this.db()
    return { undo: latestDoneAction(db)?.description ?? null, redo: earliestUndoneAction(db)?.description ?? null }
  }

  /** Adds a class; the change carries the new class list (the class is in it). */
  createClass(name: string, color?: string, hotkey?: string | null): { created: ClassCount; change: LabelChange } {
    const db = this.db()
    return writeTransaction(db, () => {
      if (findLiveClassByName(db, name)) throw new AppError('ALREADY_EXISTS', `a class named “${name}” already exists`)
      if (hotkey) this.#freeHotkey(db, hotkey, null)
      const id = insertClass(db, name, { ...(color === undefined ? {} : { color }), ...(hotkey === undefined ? {} : { hotkey }) })
      const change = this.#changed(db, `Added class ${name}`, [], this.history(), true)
      return { created: change.classes!.find((c) => c.id === id)!, change }
    })
  }

  updateClass(id: number, changes: { name?: string; color?: string; hotkey?: string | null }): { updated: ClassCount; change: LabelChange } {
    const db = this.db()
    return writeTransaction(db, () => {
      this.#liveClass(db, id)
      if (changes.name !== undefined) {
        const clash = findLiveClassByName(db, changes.name)
        if (clash && clash.id !== id) {
          throw new AppError('ALREADY_EXISTS', `a class named “${changes.name}” already exists; merge them instead`)
        }
      }
      if (changes.hotkey) this.#freeHotkey(db, changes.hotkey, id)
      updateClass(db, id, changes)
      const change = this.#changed(db, 'Updated a class', [], this.history(), true)
      const updated = change.classes!.find((c) => c.id === id)!
      return { updated, change: { ...change, description: `Updated class ${updated.name}` } }
    })
  }

  /** Relabels every image of `sourceId` as `targetId` and deletes the source: one undo entry. */
  mergeClasses(sourceId: number, targetId: number): LabelChange {
    if (sourceId === targetId) throw new AppError('INVALID_REQUEST', 'a class cannot be merged into itself')
    const db = this.db()
    return writeTransaction(db, () => {
      const source = this.#liveClass(db, sourceId)
      const target = this.#liveClass(db, targetId)
      const imageIds = imagesLabeled(db, sourceId)
      const changes = imageIds.map((imageId) => ({ imageId, oldClassId: sourceId, newClassId: targetId }))
      const description = `Merge ${source.name} into ${target.name} (${plural(imageIds.length, 'image')})`
      recordAction(db, description, changes, { deletesClassId: sourceId })
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: targetId })), 'user')
      setClassDeleted(db, sourceId, Date.now())
      return this.#changed(db, description, changes, { undo: description, redo: null }, true)
    })
  }

  /** Deletes a class; its images become unlabeled (not deleted). One undo entry brings both back. */
  deleteClass(id: number): LabelChange {
    const db = this.db()
    return writeTransaction(db, () => {
      const doomed = this.#liveClass(db, id)
      const imageIds = imagesLabeled(db, id)
      const changes = imageIds.map((imageId) => ({ imageId, oldClassId: id, newClassId: null }))
      const description = `Delete class ${doomed.name} (${plural(imageIds.length, 'image')} now unlabeled)`
      recordAction(db, description, changes, { deletesClassId: id })
      writeLabels(db, changes.map((c) => ({ imageId: c.imageId, classId: null })), 'user')
      setClassDeleted(db, id, Date.now())
      return this.#changed(db, description, changes, { undo: description, redo: null }, true)
    })
  }

  /** A change as the UI learns it: what moved, counted from the moved images, inside the transaction. */
  #changed(db: Database, description: string, moves: readonly LabelMove[], history: LabelHistory, classesChanged = false): LabelChange {
    return {
      changeId: randomUUID(),
      description,
      imageIds: moves.map((move) => move.imageId),
      history,
      counts: countLabelMoves(db, moves, classesChanged),
      classes: classesChanged ? listClassesWithCounts(db) : null
    }
  }

  /** Nothing to do (every image already had that label): nothing moved, nothing to announce. */
  #unchanged(db: Database, description: string): LabelChange {
    return this.#changed(db, description, [], this.history())
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
    if (!row || row.deletedAt !== null) throw notFound('class', id)
    return row
  }

  /** A hotkey belongs to one class: taking it moves it away from whoever had it. */
  #freeHotkey(db: Database, hotkey: string, keeper: number | null): void {
    const owner = findLiveClassByHotkey(db, hotkey)
    if (owner && owner.id !== keeper) updateClass(db, owner.id, { hotkey: null })
  }

  #ensureImagesExist(db: Database, imageIds: readonly number[]): void {
    allFound(imageIds, imageStatuses(db, imageIds), 'image')
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
