// The report type lives in the contract, because the UI and the CLI both show it.
import type { ImportReport } from '../contract/types'

export type { ImportReport }

export function emptyReport(folder: string): ImportReport {
  return {
    folder,
    imported: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    skipped: 0,
    duplicates: 0,
    failed: 0,
    errors: [],
    classes: {},
    splits: { train: 0, val: 0, test: 0 },
    cancelled: false,
    durationMs: 0,
    imagesPerSecond: 0
  }
}
