import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'

/** A fresh, empty folder under the OS temp dir. */
export function makeTempDir(prefix = 'pictor-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeTempDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
}

/**
 * Gives every test in the calling file its own temp folder, removed after the test. Register it
 * before any afterEach that closes files inside the folder: vitest runs afterEach hooks in reverse
 * order, so those close first and the folder is removed last.
 */
export function useTempDir(prefix?: string): () => string {
  let dir: string | undefined
  beforeEach(() => {
    dir = makeTempDir(prefix)
  })
  afterEach(() => {
    removeTempDir(dir)
    dir = undefined
  })
  return () => {
    if (!dir) throw new Error('the temp dir only exists while a test runs')
    return dir
  }
}
