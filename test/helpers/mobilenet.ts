import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import sharp from 'sharp'
import { BASE_MODEL_ID } from '../../src-main/classifier/features/base-model'
import { buildMobileNetV2 } from '../../src-main/models/mobilenet-v2-model'
import { BASE_MODEL, missingShared, SHARED_MODELS_DIR } from './shared-assets'

// Base models for transfer tests: the shared pretrained MobileNetV2 when this machine has it, or
// the same architecture randomly initialised and written as a TF.js layers folder (pipeline tests
// need the shapes and the cost, not ImageNet knowledge).

export { SHARED_MODELS_DIR }

/** The backbone's model.json under a models folder (what locateBaseModel answers, known synchronously). */
export const baseModelJson = (modelsDir: string) => join(modelsDir, BASE_MODEL_ID, 'model.json')

const missingPretrained = missingShared(BASE_MODEL)
export const hasPretrained = missingPretrained === null
/** Why a test that needs the pretrained weights is skipped here (only read when they are absent). */
export const NO_PRETRAINED = missingPretrained ?? ''

/** A file under the shared folder (demo head, test photos). */
export function sharedFile(...parts: string[]): string {
  return resolve(SHARED_MODELS_DIR, ...parts)
}

/**
 * Writes a randomly initialised MobileNetV2 where locateBaseModel(modelsDir) finds it, in the
 * layout the real one has (model.json + one shard), and returns its model.json path.
 */
export async function writeRandomBaseModel(modelsDir: string): Promise<string> {
  const path = baseModelJson(modelsDir)
  mkdirSync(dirname(path), { recursive: true })
  const model = buildMobileNetV2()
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const shard = 'group1-shard1of1.bin'
        const weights = artifacts.weightData as ArrayBuffer
        writeFileSync(resolve(dirname(path), shard), new Uint8Array(weights))
        const json = {
          format: 'layers-model',
          generatedBy: 'pictor tests (random init)',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs }]
        }
        writeFileSync(path, JSON.stringify(json))
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
      })
    )
  } finally {
    model.dispose()
  }
  return path
}

/**
 * An uncompressed 24-bit BMP (what the shared test photos are; sharp cannot read BMP) as a PNG.
 * Rows are stored bottom-up unless the height is negative, each padded to 4 bytes, pixels as BGR.
 */
export async function bmpToPng(bmp: Buffer): Promise<Buffer> {
  if (bmp.toString('latin1', 0, 2) !== 'BM') throw new Error('not a BMP file')
  const offset = bmp.readUInt32LE(10)
  const width = bmp.readInt32LE(18)
  const signedHeight = bmp.readInt32LE(22)
  const bitsPerPixel = bmp.readUInt16LE(28)
  const compression = bmp.readUInt32LE(30)
  if (bitsPerPixel !== 24 || compression !== 0) throw new Error(`only uncompressed 24-bit BMPs, got ${bitsPerPixel} bit, compression ${compression}`)
  const height = Math.abs(signedHeight)
  const stride = Math.ceil((width * 3) / 4) * 4
  const rgb = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    const row = offset + (signedHeight > 0 ? height - 1 - y : y) * stride
    for (let x = 0; x < width; x++) {
      const from = row + x * 3
      const to = (y * width + x) * 3
      rgb[to] = bmp[from + 2]!
      rgb[to + 1] = bmp[from + 1]!
      rgb[to + 2] = bmp[from]!
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer()
}
