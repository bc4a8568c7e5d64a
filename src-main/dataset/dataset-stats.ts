// The numbers behind a dataset's description, computed once for the two places that print them: the
// dataset card of an export (markdown) and the run report (HTML). Pure: rows in, counts out.
import type { DatasetRow, LabelOrigin } from '../db/queries/dataset-rows'
import type { SplitInput } from '../db/queries/splits'
import { groupDuplicates } from '../splits/duplicate-groups'

export interface DatasetStats {
  /** Who decided each label ('none': unlabeled), in first-seen order. */
  labelOrigins: Map<LabelOrigin | 'none', number>
  /** Who decided each split ('none': never assigned), in first-seen order. */
  splitOrigins: Map<'folder' | 'auto' | 'user' | 'none', number>
  /** Size of each group of byte-identical images (same SHA-256) with more than one member. */
  exactDuplicateGroups: number[]
  /** Images a label-issue scan flagged for the label they still carry. */
  flagged: number
}

function tally<T>(values: Iterable<T>): Map<T, number> {
  const counts = new Map<T, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  return counts
}

export function datasetStats(rows: readonly Pick<DatasetRow, 'labelOrigin' | 'splitOrigin' | 'contentHash' | 'labelIssueScore'>[]): DatasetStats {
  const hashes = tally(rows.map((row) => row.contentHash).filter((hash) => hash !== null))
  return {
    labelOrigins: tally(rows.map((row) => row.labelOrigin ?? 'none')),
    splitOrigins: tally(rows.map((row) => row.splitOrigin ?? 'none')),
    exactDuplicateGroups: [...hashes.values()].filter((n) => n > 1),
    flagged: rows.filter((row) => row.labelIssueScore !== null).length
  }
}

export interface LeakageStats {
  /** Groups of exact or near-duplicate images (more than one member), as the split assignment sees them. */
  groups: number
  /** Images in those groups. */
  images: number
  /** Groups whose members sit in more than one split: a copy may be judged on what trained on it. */
  split: number
}

/** The near-duplicate (leakage) groups of the split assignment (splits/duplicate-groups.ts), counted. */
export function leakageStats(inputs: readonly SplitInput[]): LeakageStats {
  // A row without a content hash groups by its id alone, as the split assignment does.
  const grouped = groupDuplicates(inputs.map((input) => ({ contentHash: input.contentHash ?? `id:${input.id}`, phash: input.phash })))
  const stats: LeakageStats = { groups: 0, images: 0, split: 0 }
  for (const members of grouped.members) {
    if (members.length < 2) continue
    stats.groups++
    stats.images += members.length
    if (new Set(members.map((index) => inputs[index]!.split).filter((split) => split !== null)).size > 1) stats.split++
  }
  return stats
}
