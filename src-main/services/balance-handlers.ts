import type { Handlers } from '../core/dispatcher'
import { writeTransaction } from '../db/transaction'
import { applySplits, setSplitRatios, setUserSplit } from '../splits/apply-splits'
import { balanceReport } from './balance'
import type { ServiceContext } from './context'
import { requireImages } from './records'

type BalanceMethods = 'balance.report' | 'splits.assign' | 'splits.setRatios' | 'images.setSplit'

export function balanceHandlers({ session, events }: ServiceContext): Pick<Handlers, BalanceMethods> {
  const changed = () => events.emit('library.changed', { reason: 'splits' })
  return {
    'balance.report': () => balanceReport(session.db),
    'splits.assign': () => {
      applySplits(session.db)
      changed()
      return balanceReport(session.db)
    },
    'splits.setRatios': (ratios) => {
      // One transaction: the new ratios and the assignment they lead to commit together.
      writeTransaction(session.db, () => {
        setSplitRatios(session.db, ratios)
        applySplits(session.db)
      })
      changed()
      return balanceReport(session.db)
    },
    'images.setSplit': ({ imageIds, split }) => {
      // Re-assign so the image's duplicates follow it and cleared overrides get an automatic split,
      // in the same transaction so no one sees the override without its consequences.
      writeTransaction(session.db, () => {
        requireImages(session.db, imageIds)
        setUserSplit(session.db, imageIds, split)
        applySplits(session.db)
      })
      changed()
      return balanceReport(session.db)
    }
  }
}
