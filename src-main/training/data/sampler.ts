// Which examples an epoch visits, in which order, and how much each class's loss counts.
import { createRandom, mixSeed, type Random } from './random'

export interface EpochOrderOptions {
  seed: number
  epoch: number
  /** Shuffle the order (training); off keeps the given order (evaluation). Default true. */
  shuffle?: boolean
  /** Draw every class as often as the largest one (see oversampledOrder). Default false. */
  oversample?: boolean
}

/** Fisher–Yates in place; returns the same array. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = items[i]!
    items[i] = items[j]!
    items[j] = swap
  }
  return items
}

/**
 * The positions (indices into the example list) one epoch visits, deterministic in (seed, epoch):
 * a resumed or repeated run sees the same batches. `classIndices[i]` is example i's class.
 */
export function epochOrder(classIndices: ArrayLike<number>, options: EpochOrderOptions): number[] {
  const random = createRandom(mixSeed(options.seed, options.epoch, 0x0e90c4))
  const order = options.oversample
    ? oversampledOrder(classIndices, random)
    : Array.from({ length: classIndices.length }, (_, index) => index)
  return options.shuffle === false ? order : shuffleInPlace(order, random)
}

/**
 * Each class drawn as many times as the largest class has examples. A small class is repeated
 * whole as often as it fits (each example seen equally often), then topped up with distinct
 * examples drawn at random: sampling with replacement, but without the variance of drawing every
 * slot independently, where some examples would be seen three times and others never. Classes with
 * no examples stay absent. Positions come grouped by class; epochOrder shuffles them.
 */
export function oversampledOrder(classIndices: ArrayLike<number>, random: Random): number[] {
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < classIndices.length; i++) {
    const members = byClass.get(classIndices[i]!)
    if (members) members.push(i)
    else byClass.set(classIndices[i]!, [i])
  }
  let target = 0
  for (const members of byClass.values()) target = Math.max(target, members.length)
  const order: number[] = []
  // Class order sorted, so the draws do not depend on which class happened to come first.
  for (const classIndex of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(classIndex)!
    const whole = Math.floor(target / members.length)
    for (let copy = 0; copy < whole; copy++) order.push(...members)
    const rest = target - whole * members.length
    if (rest > 0) order.push(...shuffleInPlace(members.slice(), random).slice(0, rest))
  }
  return order
}

/** Batches in one epoch (what epochOrder yields, in batches), for progress reporting. */
export function stepsPerEpoch(classIndices: ArrayLike<number>, options: { batchSize: number; oversample?: boolean }): number {
  let samples = classIndices.length
  if (options.oversample) {
    const counts = new Map<number, number>()
    for (let i = 0; i < classIndices.length; i++) counts.set(classIndices[i]!, (counts.get(classIndices[i]!) ?? 0) + 1)
    samples = counts.size * Math.max(0, ...counts.values())
  }
  return Math.ceil(samples / options.batchSize)
}

/** Examples per class, for classes 0 … numClasses - 1. */
export function classCounts(classIndices: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0)
  for (let i = 0; i < classIndices.length; i++) {
    const classIndex = classIndices[i]!
    if (!(classIndex >= 0 && classIndex < numClasses)) throw new RangeError(`class index ${classIndex} is outside 0…${numClasses - 1}`)
    counts[classIndex]!++
  }
  return counts
}

/**
 * Keras/scikit-learn "balanced" weights, n_samples / (n_classes · count_c): every class then adds
 * the same total weight to the loss, and the mean weight over the samples is 1, so the learning rate
 * means what it meant unweighted. n_classes counts only classes with examples; an empty class gets
 * weight 0 (it has no samples to weigh, and counting it would inflate every other weight).
 * Use weights or oversampling, not both: together they correct the imbalance twice.
 */
export function classWeights(counts: readonly number[]): number[] {
  const present = counts.filter((count) => count > 0)
  const total = present.reduce((sum, count) => sum + count, 0)
  return counts.map((count) => (count > 0 ? total / (present.length * count) : 0))
}
