import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { missingShared, SHARED_TAG } from '../helpers/shared-assets'

// How tests that need ../shared decide between running, skipping (visibly) and failing.

const saved = process.env.PICTOR_REQUIRE_SHARED
afterEach(() => {
  if (saved === undefined) delete process.env.PICTOR_REQUIRE_SHARED
  else process.env.PICTOR_REQUIRE_SHARED = saved
})

const here = { 'this test': join(import.meta.dirname, 'shared-assets.test.ts') }
const nowhere = { 'an asset': join(import.meta.dirname, 'no-such-asset.bin') }

it('answers null when every asset is there', () => {
  expect(missingShared(here)).toBeNull()
})

it('gives a tagged skip reason naming what is missing and where', () => {
  delete process.env.PICTOR_REQUIRE_SHARED
  expect(missingShared(here, nowhere)).toBe(`${SHARED_TAG} an asset not found at ${nowhere['an asset']}`)
})

it('fails instead of skipping where the run says ../shared is present', () => {
  process.env.PICTOR_REQUIRE_SHARED = '1'
  expect(() => missingShared(nowhere)).toThrow(/PICTOR_REQUIRE_SHARED=1 says \.\.\/shared is present/)
})
