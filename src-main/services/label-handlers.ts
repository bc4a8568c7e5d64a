import type { LabelChange } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { listClassesWithCounts } from '../db/queries/classes'
import { imageDetails, queryImageIds } from '../db/queries/image-query'
import type { ServiceContext } from './context'
import { Labeling } from './labeling'

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
  /** Other windows (and the counts) learn about every committed change. */
  const announce = <T extends LabelChange | null>(change: T): T => {
    if (change && change.imageIds.length > 0) events.emit('labels.changed', change)
    return change
  }
  const announceAction = (change: LabelChange | null): LabelChange | null => {
    if (change) events.emit('labels.changed', change)
    return change
  }
  const classesChanged = <T>(value: T): T => {
    events.emit('labels.changed', { description: 'classes changed', imageIds: [] })
    return value
  }
  return {
    'images.query': (query) => ({ ids: queryImageIds(session.db, query) }),
    'images.get': ({ ids }) => imageDetails(session.db, ids),
    'labels.assign': ({ imageIds, classId }) => announce(labeling.assign(imageIds, classId)),
    // Undo and redo may restore or delete a class even when no image changes: announce any action.
    'labels.undo': () => announceAction(labeling.undo()),
    'labels.redo': () => announceAction(labeling.redo()),
    'labels.history': () => labeling.history(),
    'classes.list': () => listClassesWithCounts(session.db),
    'classes.create': ({ name, color, hotkey }) => classesChanged(labeling.createClass(name, color, hotkey)),
    'classes.update': ({ id, ...changes }) => classesChanged(labeling.updateClass(id, changes)),
    'classes.merge': ({ sourceId, targetId }) => classesChanged(announce(labeling.mergeClasses(sourceId, targetId))),
    'classes.delete': ({ id }) => classesChanged(announce(labeling.deleteClass(id)))
  }
}
