// Classification metrics from (true, predicted) index pairs. Pure arithmetic on plain arrays, no
// tensors, so the Review view can recompute them against the current labels on every request.

/** One scored image: indices into the run's output classes. */
export interface ScoredPair {
  trueIndex: number
  predictedIndex: number
}

export interface PerClassMetrics {
  /** Correct / predicted as this class; null when the model never predicted it (0/0). */
  precision: number | null
  /** Correct / labeled as this class; null when the class has no images (0/0). */
  recall: number | null
  /**
   * 2·TP / (2·TP + FP + FN), which equals the harmonic mean of precision and recall when both exist
   * and stays defined when one is 0/0: a class never predicted but present scores 0, not null. Null
   * only when the class was neither present nor predicted.
   */
  f1: number | null
  /** Images labeled as this class. */
  support: number
}

/** confusion[true][predicted] = count, for `classCount` classes. Out-of-range indices are a bug, not data. */
export function confusionMatrix(pairs: Iterable<ScoredPair>, classCount: number): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  for (const { trueIndex, predictedIndex } of pairs) {
    if (!inRange(trueIndex, classCount) || !inRange(predictedIndex, classCount)) {
      throw new RangeError(`class index out of range: true ${trueIndex}, predicted ${predictedIndex}, classes ${classCount}`)
    }
    matrix[trueIndex]![predictedIndex]! += 1
  }
  return matrix
}

function inRange(index: number, count: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < count
}

/** Sum of the matrix: how many images were scored. */
export function totalCount(confusion: readonly (readonly number[])[]): number {
  return confusion.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0)
}

/** Fraction on the diagonal; null when nothing was scored. */
export function accuracy(confusion: readonly (readonly number[])[]): number | null {
  const total = totalCount(confusion)
  if (total === 0) return null
  const correct = confusion.reduce((sum, row, index) => sum + (row[index] ?? 0), 0)
  return correct / total
}

/** Precision, recall, F1 and support for each class (row = true class, column = predicted). */
export function perClassMetrics(confusion: readonly (readonly number[])[]): PerClassMetrics[] {
  return confusion.map((row, index) => {
    const truePositives = row[index] ?? 0
    const support = row.reduce((a, b) => a + b, 0)
    const predicted = confusion.reduce((sum, other) => sum + (other[index] ?? 0), 0)
    const precision = predicted === 0 ? null : truePositives / predicted
    const recall = support === 0 ? null : truePositives / support
    const falsePositives = predicted - truePositives
    const falseNegatives = support - truePositives
    const f1Denominator = 2 * truePositives + falsePositives + falseNegatives
    const f1 = f1Denominator === 0 ? null : (2 * truePositives) / f1Denominator
    return { precision, recall, f1, support }
  })
}

/** Each row divided by its sum (what fraction of a class went where); an empty row stays all zeros. */
export function rowNormalized(confusion: readonly (readonly number[])[]): number[][] {
  return confusion.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0)
    return row.map((count) => (sum === 0 ? 0 : count / sum))
  })
}

/** Cross-entropy of one prediction: −ln p(true), with p floored so a hard 0 gives a finite loss. */
export function crossEntropy(trueProbability: number): number {
  return -Math.log(Math.max(trueProbability, 1e-7))
}
