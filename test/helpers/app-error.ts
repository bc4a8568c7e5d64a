import { expect } from 'vitest'
import { AppError } from '../../src-main/core/errors'
import type { ErrorCode } from '../../src-main/contract/envelope'

/** Runs `fn`, insists it throws an AppError with `code`, and returns that error for more checks. */
export function expectAppError(fn: () => unknown, code: ErrorCode): AppError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught, `expected an AppError ${code}`).toBeInstanceOf(AppError)
  expect((caught as AppError).code).toBe(code)
  return caught as AppError
}
