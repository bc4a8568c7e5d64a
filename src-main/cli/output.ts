import { isAbsolute, resolve } from 'node:path'
import type { Envelope } from '../contract/envelope'
import { toAppError } from '../core/errors'

export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** Unwraps a contract answer for the CLI: the value, or a one-line error on stderr and exit 1. */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value
  throw new CliFailure(`${envelope.error.code}: ${envelope.error.message}`)
}

export class CliFailure extends Error {}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** `--debug` anywhere on the command line: unexpected errors print their stack trace. */
export const debugging = { enabled: false }

/**
 * A path the user typed, made absolute against the shell's folder as every command-line tool does
 * (the contract itself takes only absolute paths; contract/paths.ts).
 */
export function cliPath(typed: string): string {
  if (isAbsolute(typed)) return typed
  try {
    return resolve(typed)
  } catch (error) {
    // process.cwd() fails when the folder the shell is in has been deleted (or may not be read).
    throw new CliFailure(`cannot resolve ${typed}: the current folder cannot be read (${(error as Error).message}); give an absolute path`)
  }
}

/**
 * One line for an error nobody expected: what a user can act on gets its code, a bug says so. The
 * stack trace is for developers and comes only with --debug.
 */
export function describeUnexpected(error: unknown): string {
  const known = toAppError(error)
  if (known) return `${known.code}: ${known.message}`
  const message = error instanceof Error ? error.message : String(error)
  return `INTERNAL: ${message.split('\n')[0]} (a bug; run again with --debug for details)`
}
