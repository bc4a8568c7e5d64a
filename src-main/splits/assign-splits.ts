// Decides every image's train/val/test split from its content alone. Pure: the database side is in
// apply-splits.ts.
//
// Rules, in order of precedence:
//  1. An image whose split came from an imported train/val/test folder or from the user keeps it,
//     and pulls the rest of its duplicate group (exact and near copies) into that split, so no copy
//     leaks into another split. If one group holds fixed images in different splits (the user's own
//     folders disagree), each fixed image still keeps its split — we never overrule the user — and
//     the group's other images join the split most of its fixed images are in (ties: train, then
//     val, then test). The group is counted in `conflictingGroups` so the UI can point it out.
//  2. Every other group draws u = uniform(sha256(groupKey)), where groupKey is the group's smallest
//     content hash, and takes the split whose ratio interval holds u. Nothing depends on the other
//     images or on labels, so importing more never moves an old image, and relabeling (during
//     review) never moves an image between the sets a model is judged on — except when a new image
//     is a near copy of an old one and merges their groups (the merged group's key may change), or
//     the guarantee in 3 kicks in for a small class. The stratum (majority class) only matters for 3.
//  3. Stratification: u is uniform within each class, so each class's ratios hold in expectation.
//     On top, a class with at least 3 groups gets at least one group in every split whose ratio is
//     > 0: a group moves from the class's largest split (keeping ≥ 1 there), the one whose u lies
//     nearest the missing split's interval. Deterministic, because it only looks at keys and u.
import type { SplitInput } from '../db/queries/splits'
import { type DuplicateGroups, groupDuplicates } from './duplicate-groups'
import {
  type ImageSplit,
  SPLITS,
  type SplitRatios,
  seededUniform,
  splitForUniform,
  validateSplitRatios
} from './split-ratios'

// The row shape lives with its query (db is the lower floor); re-exported for the assignment's callers.
export type { SplitInput }

/** A row to write: `split` with origin 'auto'. Only rows whose split or origin differ are listed. */
export interface SplitChange {
  id: number
  split: ImageSplit
}

/** Images per split for one class (classId null: unlabeled), after the changes are applied. */
export interface ClassSplitCounts {
  classId: number | null
  train: number
  val: number
  test: number
}

export interface SplitAssignment {
  /** Sorted by id. */
  changes: SplitChange[]
  /** Sorted by class id, unlabeled last. */
  counts: ClassSplitCounts[]
  /** Leakage groups (an image without duplicates is a group of one). */
  groups: number
  /** Groups whose folder/user splits disagree with each other: leakage only the user can fix. */
  conflictingGroups: number
}

/** Minimum groups before a class is guaranteed a group in every split with a ratio above 0. */
export const MIN_GROUPS_FOR_EVERY_SPLIT = 3

export interface GroupPlan {
  key: string
  stratum: number | null
  /** Whether a folder/user split decided this group; such groups are never moved by rule 3. */
  fixed: boolean
  u: number
  split: ImageSplit
  /** Its folder/user splits disagree with each other. */
  conflicting: boolean
}

export const isFixed = (image: SplitInput): boolean =>
  image.split !== null && (image.splitOrigin === 'folder' || image.splitOrigin === 'user')

/** The most common value; ties go to the one `prefer` orders first. Undefined for no values. */
function majority<T>(values: readonly T[], prefer: (a: T, b: T) => number): T | undefined {
  const counts = new Map<T, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  let best: T | undefined
  let bestCount = 0
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && prefer(value, best) < 0)) {
      best = value
      bestCount = count
    }
  }
  return best
}

const bySplitOrder = (a: ImageSplit, b: ImageSplit): number => SPLITS.indexOf(a) - SPLITS.indexOf(b)

function planGroup(
  images: readonly SplitInput[],
  members: readonly number[],
  key: string,
  ratios: SplitRatios
): GroupPlan {
  const classIds = members.map((m) => images[m]!.classId).filter((id): id is number => id !== null)
  const stratum = majority(classIds, (a, b) => a - b) ?? null
  const fixedSplits = members.filter((m) => isFixed(images[m]!)).map((m) => images[m]!.split as ImageSplit)
  if (fixedSplits.length > 0) {
    const split = majority(fixedSplits, bySplitOrder)!
    return { key, stratum, fixed: true, u: Number.NaN, split, conflicting: fixedSplits.some((s) => s !== split) }
  }
  const u = seededUniform(key)
  return { key, stratum, fixed: false, u, split: splitForUniform(u, ratios), conflicting: false }
}

/** Rule 3 for one class: moves auto groups so that every split with a ratio above 0 has one. */
function ensureEverySplit(plans: readonly GroupPlan[], ratios: SplitRatios): void {
  if (plans.length < MIN_GROUPS_FOR_EVERY_SPLIT) return
  for (const target of ['val', 'test', 'train'] as const) {
    if (ratios[target] <= 0 || plans.some((plan) => plan.split === target)) continue
    const sizes = new Map<ImageSplit, number>(SPLITS.map((split) => [split, 0]))
    for (const plan of plans) sizes.set(plan.split, sizes.get(plan.split)! + 1)
    // Donor: the largest split that keeps at least one group and has a group we may move.
    const donors = SPLITS.filter(
      (split) => sizes.get(split)! >= 2 && plans.some((plan) => !plan.fixed && plan.split === split)
    ).sort((a, b) => sizes.get(b)! - sizes.get(a)! || bySplitOrder(a, b))
    const donor = donors[0]
    if (donor === undefined) continue
    // Moving "up" (train → val/test) takes the highest u, the group nearest the boundary; moving
    // "down" takes the lowest. Ties (practically impossible) fall back to the key.
    const upward = bySplitOrder(target, donor) > 0
    const candidates = plans
      .filter((plan) => !plan.fixed && plan.split === donor)
      .sort((a, b) => (upward ? b.u - a.u : a.u - b.u) || (a.key < b.key ? -1 : 1))
    candidates[0]!.split = target
  }
}

/** Every group's decision (rules 1–3) before it is written out per image; the rebalancing planner builds on it. */
export interface GroupedAssignment {
  grouping: DuplicateGroups
  plans: GroupPlan[]
}

/** Rules 1–3 over groups: what assignSplits writes, before it is spelled out per image. */
export function planGroups(images: readonly SplitInput[], ratios: SplitRatios): GroupedAssignment {
  const checked = validateSplitRatios(ratios)
  // Rows without a content hash cannot be exact duplicates of anything; 'id:' sorts after every
  // hex digit, so a real hash always wins the group key.
  const grouping = groupDuplicates(
    images.map((image) => ({ contentHash: image.contentHash ?? `id:${image.id}`, phash: image.phash }))
  )
  const plans = grouping.members.map((members, group) => planGroup(images, members, grouping.keys[group]!, checked))

  const byClass = new Map<number, GroupPlan[]>()
  for (const plan of plans) {
    if (plan.stratum === null) continue
    const list = byClass.get(plan.stratum)
    if (list) list.push(plan)
    else byClass.set(plan.stratum, [plan])
  }
  for (const classPlans of byClass.values()) ensureEverySplit(classPlans, checked)
  return { grouping, plans }
}

/** The split an image ends in: its own when a folder or the user fixed it, else its group's. */
export function finalSplit(image: SplitInput, plan: GroupPlan): ImageSplit {
  return isFixed(image) ? (image.split as ImageSplit) : plan.split
}

/**
 * Assigns splits by the rules at the top of this file. The result depends only on the set of
 * images (not their order) and the ratios; ratios are validated (INVALID_REQUEST on bad ones).
 */
export function assignSplits(images: readonly SplitInput[], ratios: SplitRatios): SplitAssignment {
  const { grouping, plans } = planGroups(images, ratios)
  const changes: SplitChange[] = []
  const counts = new Map<number | null, ClassSplitCounts>()
  images.forEach((image, index) => {
    const split = finalSplit(image, plans[grouping.groupOf[index]!]!)
    if (!isFixed(image) && (image.split !== split || image.splitOrigin !== 'auto')) changes.push({ id: image.id, split })
    let row = counts.get(image.classId)
    if (!row) counts.set(image.classId, (row = { classId: image.classId, train: 0, val: 0, test: 0 }))
    row[split]++
  })
  changes.sort((a, b) => a.id - b.id)
  const sortedCounts = [...counts.values()].sort((a, b) =>
    a.classId === null ? 1 : b.classId === null ? -1 : a.classId - b.classId
  )
  return {
    changes,
    counts: sortedCounts,
    groups: plans.length,
    conflictingGroups: plans.filter((plan) => plan.conflicting).length
  }
}
