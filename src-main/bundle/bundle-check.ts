// The feature check a bundle carries: two of the project's images as Pictor feeds them to MobileNetV2
// (224×224 RGB, PNG so no decoder can differ) and the pooled features Pictor's own backbone computes
// for them. train.py recomputes the features with its PyTorch copy of the network and stops before
// training if they differ by more than the tolerance: a wrong weight mapping or padding is caught in
// seconds, not after hours on a cluster.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { AppError } from '../core/errors'
import { DecodeError, decodeExample } from '../classifier/decode'
import type { FeatureExtractor } from '../classifier/features/feature-extractor'
import { MOBILENET_INPUT, scalePixels } from '../classifier/features/mobilenet-preprocess'

/** Largest absolute difference train.py accepts between its features and Pictor's (float32 on both sides agree to ~1e-5). */
export const FEATURE_TOLERANCE = 1e-3
const CHECK_IMAGES = 2

export interface FeatureCheck {
  images: string[]
  features: string
  tolerance: number
}

/**
 * Writes `check/0.png`, `check/1.png` and `check/features.json` into `bundleDir` from the first readable
 * candidates (different classes first, so the two images are unlike each other).
 */
export async function writeFeatureCheck(
  bundleDir: string,
  candidates: readonly { path: string; classIndex: number }[],
  extractor: FeatureExtractor
): Promise<FeatureCheck> {
  const chosen: Uint8Array[] = []
  for (const candidate of distinctClassesFirst(candidates)) {
    if (chosen.length === CHECK_IMAGES) break
    try {
      chosen.push(await decodeExample(candidate.path, MOBILENET_INPUT))
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
    }
  }
  if (chosen.length === 0) throw new AppError('INVALID_REQUEST', 'none of the labeled images could be read, so the bundle has nothing to check its network on')
  const images: string[] = []
  for (const [index, pixels] of chosen.entries()) {
    const name = `check/${index}.png`
    await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: MOBILENET_INPUT.width, height: MOBILENET_INPUT.height, channels: 3 } })
      .png()
      .toFile(join(bundleDir, ...name.split('/')))
    images.push(name)
  }
  const features = await extractor.extract(chosen.map((pixels) => scalePixels(pixels)))
  const featuresFile = 'check/features.json'
  await writeFile(join(bundleDir, ...featuresFile.split('/')), JSON.stringify(features.map((row) => Array.from(row))))
  return { images, features: featuresFile, tolerance: FEATURE_TOLERANCE }
}

/** The first image of each class, then the others, in their order: two check images from two classes when it can. */
function distinctClassesFirst<T extends { classIndex: number }>(candidates: readonly T[]): T[] {
  const seen = new Set<number>()
  const first: T[] = []
  const rest: T[] = []
  for (const candidate of candidates) {
    if (seen.has(candidate.classIndex)) rest.push(candidate)
    else {
      seen.add(candidate.classIndex)
      first.push(candidate)
    }
  }
  return [...first, ...rest]
}
