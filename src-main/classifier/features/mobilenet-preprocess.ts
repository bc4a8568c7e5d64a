// MobileNetV2's input, produced one way only. Training, evaluation, inference and export all call
// these functions: a model fed pixels scaled differently at prediction time than at training time
// fails silently (confident, wrong answers), so there must be no second implementation.
import { decodeBuffer, decodeExample, type InputShape } from '../decode'
import { applyByteTable, byteTable } from '../pixel-scale'
import { INPUT_SIZE } from './base-model'

/** RGB at 224×224: decodeExample already applies EXIF rotation, white behind alpha and fit 'fill'. */
export const MOBILENET_INPUT: InputShape = { width: INPUT_SIZE, height: INPUT_SIZE, channels: 3 }

/** The same, in words, for run notes, metadata and exports. */
export const MOBILENET_PREPROCESSING = 'RGB, EXIF-rotated, resized to 224×224 (fit fill), x / 127.5 − 1'

/** Values per preprocessed image (224 · 224 · 3). */
export const MOBILENET_INPUT_VALUES = INPUT_SIZE * INPUT_SIZE * 3

/** byte → byte / 127.5 − 1, i.e. Keras' mobilenet_v2.preprocess_input ([0, 255] → [−1, 1]). */
const SCALE = byteTable((byte) => byte / 127.5 - 1)

/** The input shape at another side (issue 18: MobileNetV2 runs at 96…224 px). */
export function mobileNetInput(size: number = INPUT_SIZE): InputShape {
  return size === INPUT_SIZE ? MOBILENET_INPUT : { width: size, height: size, channels: 3 }
}

/** The preprocessing in words at a given side. */
export function mobileNetPreprocessing(size: number = INPUT_SIZE): string {
  return MOBILENET_PREPROCESSING.replace('224×224', `${size}×${size}`)
}

/** Reads, decodes and scales one image file (at `size`, default 224). Throws the data layer's DecodeError for unreadable files. */
export async function preprocessForMobileNet(path: string, size: number = INPUT_SIZE): Promise<Float32Array> {
  return scalePixels(await decodeExample(path, mobileNetInput(size)), size)
}

/** The same from bytes in memory (e.g. an image sent for prediction). */
export async function preprocessBufferForMobileNet(bytes: Buffer, size: number = INPUT_SIZE): Promise<Float32Array> {
  return scalePixels(await decodeBuffer(bytes, mobileNetInput(size)), size)
}

/** 8-bit interleaved RGB (size×size×3, rows top to bottom) → the model's float input. */
export function scalePixels(pixels: Uint8Array, size: number = INPUT_SIZE): Float32Array {
  if (pixels.length !== size * size * 3) {
    throw new RangeError(`expected ${size * size * 3} values (${size}×${size}×3), got ${pixels.length}`)
  }
  return applyByteTable(pixels, SCALE)
}
