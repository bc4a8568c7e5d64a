import type { Handlers } from '../core/dispatcher'
import { listClassesWithCounts } from '../db/queries/classes'
import { countImages, pageImages } from '../db/queries/images'
import { latestRunWithModel } from '../db/queries/training-runs'
import type { ServiceContext } from './context'
import { labelsPerMinute } from './label-counts'

export function libraryHandlers({ session }: ServiceContext): Pick<Handlers, 'library.summary' | 'images.page'> {
  return {
    'library.summary': () => {
      const counts = countImages(session.db)
      return {
        ...counts,
        unlabeled: counts.total - counts.labeled,
        classes: listClassesWithCounts(session.db),
        labelsPerMinute: labelsPerMinute(session.db),
        trainedRunId: latestRunWithModel(session.db) ?? null
      }
    },
    'images.page': (query) => pageImages(session.db, query)
  }
}
