import type { Handlers } from '../core/dispatcher'
import { listClassesWithCounts } from '../db/queries/classes'
import { countImages, pageImages } from '../db/queries/images'
import { recentLabelCount } from '../db/queries/label-history'
import type { ServiceContext } from './context'

const RATE_WINDOW_MINUTES = 10

export function libraryHandlers({ session }: ServiceContext): Pick<Handlers, 'library.summary' | 'images.page'> {
  return {
    'library.summary': () => {
      const counts = countImages(session.db)
      return {
        ...counts,
        unlabeled: counts.total - counts.labeled,
        classes: listClassesWithCounts(session.db),
        labelsPerMinute: Math.round((recentLabelCount(session.db, RATE_WINDOW_MINUTES) / RATE_WINDOW_MINUTES) * 10) / 10
      }
    },
    'images.page': (query) => pageImages(session.db, query)
  }
}
