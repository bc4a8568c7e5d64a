import type { Database } from 'better-sqlite3'

/** Case- and normalisation-insensitive form of a file name, for search (é = É, NFC = NFD). */
export function foldForSearch(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase('und')
}

/** Makes `pictor_fold(text)` available to SQL on this connection. */
export function registerTextFunctions(db: Database): void {
  db.function('pictor_fold', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? foldForSearch(value) : value
  )
}
