import type { LabelChange } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { listClassesWithCounts } from '../db/queries/classes'
import { imageDetails, queryImageIds } from '../db/queries/image-query'
import type { ServiceContext } from './context'
import { Labeling } from './labeling'
import { requireClass, requireImages } from './records'

type LabelMethods =
  | 'images.query'
  | 'images.get'
  | 'labels.assign'
  | 'labels.undo'
  | 'labels.redo'
  | 'labels.history'
  | 'classes.list'
  | 'classes.create'
  | 'classes.update'
  | 'classes.merge'
  | 'classes.delete'

export function labelHandlers({ session, events }: ServiceContext): Pick<Handlers, LabelMethods> {
  const labeling = new Labeling(() => session.db)
  /**
   * Other windows learn every committed change from its event, which carries what moved (undo/redo,
   * counts, classes); the window that made it also gets it as the answer (same changeId).
   * A change that moved nothing and changed no class is not announced.
   */
  const announce = <T extends LabelChange | null>(change: T): T => {
    if (change && (change.imageIds.length > 0 || change.classes !== null)) events.emit('labels.changed', change)
    return change
  }
  return {
    'images.query': (query) => {
      if (typeof query.label === 'number') requireClass(session.db, query.label)
      return { ids: queryImageIds(session.db, query) }
    },
    'images.get': ({ ids }) => {
      requireImages(session.db, ids)
      return imageDetails(session.db, ids)
    },
    'labels.assign': ({ imageIds, classId }) => announce(labeling.assign(imageIds, classId)),
    // Undo and redo may restore or delete a class even when no image changes: those carry the classes.
    'labels.undo': () => announce(labeling.undo()),
    'labels.redo': () => announce(labeling.redo()),
    'labels.history': () => labeling.history(),
    'classes.list': () => listClassesWithCounts(session.db),
    'classes.create': ({ name, color, hotkey }) => {
      const { created, change } = labeling.createClass(name, color, hotkey)
      announce(change)
      return created
    },
    'classes.update': ({ id, ...changes }) => {
      const { updated, change } = labeling.updateClass(id, changes)
      announce(change)
      return updated
    },
    'classes.merge': ({ sourceId, targetId }) => announce(labeling.mergeClasses(sourceId, targetId)),
    'classes.delete': ({ id }) => announce(labeling.deleteClass(id))
  }
}
