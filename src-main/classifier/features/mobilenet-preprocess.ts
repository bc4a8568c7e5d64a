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

/** Reads, decodes and scales one image file. Throws the data layer's DecodeError for unreadable files. */
export async function preprocessForMobileNet(path: string): Promise<Float32Array> {
  return scalePixels(await decodeExample(path, MOBILENET_INPUT))
}

/** The same from bytes in memory (e.g. an image sent for prediction). */
export async function preprocessBufferForMobileNet(bytes: Buffer): Promise<Float32Array> {
  return scalePixels(await decodeBuffer(bytes, MOBILENET_INPUT))
}

/** 8-bit interleaved RGB (224×224×3, rows top to bottom) → the model's float input. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  if (pixels.length !== MOBILENET_INPUT_VALUES) {
    throw new RangeError(`expected ${MOBILENET_INPUT_VALUES} values (224×224×3), got ${pixels.length}`)
  }
  return applyByteTable(pixels, SCALE)
}
