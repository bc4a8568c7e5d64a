/** Whether an error means the backend ran out of memory (wasm caps at 4 GB; native TF says OOM). */
export function isOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error)
  // wasm reports a tensor beyond its 4 GB heap as "offset is out of bounds"; a batch too large for
  // JavaScript itself as "Invalid typed array length".
  return /out of memory|\bOOM\b|Cannot allocate|allocation failed|RangeError.*(Array buffer|memory|offset is out of bounds|Invalid typed array length)|failed to grow memory/i.test(
    message
  )
}
