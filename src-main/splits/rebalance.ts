// "Assign splits" as the Balance view offers it: the seeded assignment (assign-splits.ts), and then
// every class's validation set topped up to its ratio from that class's training images. Pure: the
// preview shows exactly this plan, and apply-splits.ts writes it.
//
// Why a top-up at all: a folder import with train/ and test/ only fixes every image's split, so the
// seeded assignment can place nothing in val, and a class ends with 0 or 1 validation images that
// training then trusts ("validation 100 %" on 4 images). What the top-up may do:
//  - move whole duplicate groups (exact and near copies stay together) from train to val;
//  - take them from train groups that are automatic or came from a train/ folder, never from a group
//    holding a user's explicit choice or an image fixed in val or test (conflicting groups included);
//  - never touch test: it is the set every run is compared on, so it only changes where the seeded
//    rule places images no folder or user has decided (as before);
//  - keep at least one group in train, and never overshoot the target by more than it would fall short.
// Moved images are written with origin 'user': the preview the user accepted is their choice, so a
// rescan of the train/ folder and the automatic assignment before each run both keep it (an 'auto'
// image would be drawn back to train by the seeded rule). The undo snapshot restores the old origins.
import type { SplitInput } from '../db/queries/splits'
import { finalSplit, isFixed, planGroups } from './assign-splits'
import { type ImageSplit, type SplitRatios, seededUniform, validateSplitRatios } from './split-ratios'

export interface PlannedChange {
  id: number
  split: ImageSplit
  origin: 'auto' | 'user'
}

export interface SplitCounts {
  train: number
  val: number
  test: number
}

/** One class (classId null: unlabeled images) before and after the plan, and what moves where. */
export interface ClassSplitPlan {
  classId: number | null
  before: SplitCounts & { none: number }
  after: SplitCounts
  /** Images whose split changes, by the split they go to (from none, or from another split). */
  moving: SplitCounts
}

export interface SplitPlan {
  ratios: SplitRatios
  /** Rows to write, sorted by id: only those whose split or origin changes. */
  changes: PlannedChange[]
  /** Sorted by class id, unlabeled last. */
  classes: ClassSplitPlan[]
  /** Images the top-up moves from train to val (a subset of changes). */
  toppedUp: number
  groups: number
  conflictingGroups: number
}

/** A group whose images may go from train to val: all in train, none fixed there by the user. */
const movable = (image: SplitInput, split: ImageSplit): boolean => split === 'train' && !(isFixed(image) && image.splitOrigin === 'user')

/** The plan for `images` at `ratios`: the seeded assignment, then each class's val topped up from train. */
export function planSplits(images: readonly SplitInput[], ratios: SplitRatios): SplitPlan {
  const checked = validateSplitRatios(ratios)
  const { grouping, plans } = planGroups(images, checked)
  const splits = images.map((image, index) => finalSplit(image, plans[grouping.groupOf[index]!]!))
  const toVal = new Set<number>()
  const sum = checked.train + checked.val + checked.test

  const classSize = new Map<number, number>()
  const classVal = new Map<number, number>()
  images.forEach((image, index) => {
    if (image.classId === null) return
    classSize.set(image.classId, (classSize.get(image.classId) ?? 0) + 1)
    if (splits[index] === 'val') classVal.set(image.classId, (classVal.get(image.classId) ?? 0) + 1)
  })

  // Candidates per class (a group's majority class), in a seeded order that depends on the group alone.
  const candidates = new Map<number, { group: number; size: number; draw: number }[]>()
  const trainGroups = new Map<number, number>()
  plans.forEach((plan, group) => {
    if (plan.stratum === null) return
    const members = grouping.members[group]!
    if (members.every((member) => splits[member] === 'train')) trainGroups.set(plan.stratum, (trainGroups.get(plan.stratum) ?? 0) + 1)
    if (!members.every((member) => movable(images[member]!, splits[member]!))) return
    const size = members.filter((member) => images[member]!.classId === plan.stratum).length
    const list = candidates.get(plan.stratum) ?? []
    list.push({ group, size, draw: seededUniform(`val-top-up:${plan.key}`) })
    candidates.set(plan.stratum, list)
  })

  for (const [classId, list] of candidates) {
    const target = Math.round(((classSize.get(classId) ?? 0) * checked.val) / sum)
    let val = classVal.get(classId) ?? 0
    let inTrain = trainGroups.get(classId) ?? 0
    for (const candidate of list.sort((a, b) => a.draw - b.draw || a.group - b.group)) {
      if (val >= target || inTrain <= 1) break
      // A large group that would overshoot by more than the shortfall waits for a smaller one.
      if (val + candidate.size - target > target - val) continue
      for (const member of grouping.members[candidate.group]!) toVal.add(member)
      val += candidate.size
      inTrain--
    }
  }

  const changes: PlannedChange[] = []
  const rows = new Map<number | null, ClassSplitPlan>()
  images.forEach((image, index) => {
    const split = toVal.has(index) ? 'val' : splits[index]!
    const origin = toVal.has(index) ? 'user' : isFixed(image) ? image.splitOrigin! : 'auto'
    if (split !== image.split || origin !== image.splitOrigin) {
      // Folder and user rows keep their split and origin unless topped up, so they never appear here otherwise.
      changes.push({ id: image.id, split, origin: origin === 'user' ? 'user' : 'auto' })
    }
    let row = rows.get(image.classId)
    if (!row) {
      row = { classId: image.classId, before: { train: 0, val: 0, test: 0, none: 0 }, after: { train: 0, val: 0, test: 0 }, moving: { train: 0, val: 0, test: 0 } }
      rows.set(image.classId, row)
    }
    row.before[image.split ?? 'none']++
    row.after[split]++
    if (split !== image.split) row.moving[split]++
  })
  changes.sort((a, b) => a.id - b.id)
  return {
    ratios: checked,
    changes,
    classes: [...rows.values()].sort((a, b) => (a.classId === null ? 1 : b.classId === null ? -1 : a.classId - b.classId)),
    toppedUp: toVal.size,
    groups: plans.length,
    conflictingGroups: plans.filter((plan) => plan.conflicting).length
  }
}
