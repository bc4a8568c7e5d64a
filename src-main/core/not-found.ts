import { AppError } from './errors'

// The one way every contract method says that an id it was given names nothing: NOT_FOUND with
// "<thing> <id> does not exist". A caller (the UI, a script) can then tell a stale or mistyped id
// from every other failure by its code alone, and the sentence reads the same wherever it comes from.

/** The kinds of record a request can name by id. */
export type RecordKind = 'image' | 'class' | 'run' | 'job' | 'backup'

export function notFound(kind: RecordKind, id: number | string): AppError {
  return new AppError('NOT_FOUND', `${kind} ${id} does not exist`)
}

/** `record` when there is one; NOT_FOUND for `id` otherwise. */
export function found<T>(record: T | null | undefined, kind: RecordKind, id: number | string): T {
  if (record === null || record === undefined) throw notFound(kind, id)
  return record
}

/** NOT_FOUND for the first of `ids` that `known` lacks (the ids a lookup found). */
export function allFound(ids: Iterable<number>, known: { has(id: number): boolean }, kind: RecordKind): void {
  for (const id of ids) if (!known.has(id)) throw notFound(kind, id)
}
