import type { Envelope } from '../contract/envelope'

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
