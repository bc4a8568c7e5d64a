/** Whether an error means the backend ran out of memory (wasm caps at 4 GB; native TF says OOM). */
export function isOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error)
  return /out of memory|\bOOM\b|Cannot allocate|allocation failed|RangeError.*(Array buffer|memory)|failed to grow memory/i.test(
    message
  )
}
