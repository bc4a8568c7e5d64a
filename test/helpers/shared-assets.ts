// The third-party assets tests read from ../shared (never committed), named once. A test that needs
// one it cannot find is skipped, visibly, with a reason tagged SHARED_TAG — unless the run says the
// assets are there (PICTOR_REQUIRE_SHARED=1, which .ci/run sets when ../shared exists): then a
// missing asset fails the test, so a wrong path can never pass as a harmless skip.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')

export const SHARED_DIR = resolve(ROOT, '..', 'shared')
/** $PICTOR_MODELS_DIR when set (CI points it at ../shared's), else ../shared/models/mobilenet_v2. */
export const SHARED_MODELS_DIR = process.env.PICTOR_MODELS_DIR ? resolve(process.env.PICTOR_MODELS_DIR) : join(SHARED_DIR, 'models', 'mobilenet_v2')
/** The ImageNet MobileNetV2 backbone (TF.js layers folder, no top). */
export const SHARED_NO_TOP = join(SHARED_MODELS_DIR, 'mobilenet_v2_1.0_224_no_top')
export const CIFAR10_ARCHIVE = join(SHARED_DIR, 'datasets', 'cifar10-jpg.tar.gz')

/** Starts every skip reason that means "this machine lacks ../shared" (the reporters count them). */
export const SHARED_TAG = '[needs ../shared]'

/** The base model as a requirement, for `missingShared`. */
export const BASE_MODEL = { 'the MobileNetV2 weights': join(SHARED_NO_TOP, 'model.json') }
export const CIFAR10 = { 'the CIFAR-10 archive': CIFAR10_ARCHIVE }

/**
 * null when every named file exists; else the reason to skip. Throws instead where the assets are
 * required to be present (PICTOR_REQUIRE_SHARED=1).
 */
export function missingShared(...needs: Record<string, string>[]): string | null {
  const missing = needs.flatMap((need) => Object.entries(need)).filter(([, path]) => !existsSync(path))
  if (missing.length === 0) return null
  const reason = `${SHARED_TAG} ${missing.map(([what, path]) => `${what} not found at ${path}`).join('; ')}`
  if (process.env.PICTOR_REQUIRE_SHARED === '1') throw new Error(`${reason} — but PICTOR_REQUIRE_SHARED=1 says ../shared is present`)
  return reason
}
