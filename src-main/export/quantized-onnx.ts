// `export --quantize int8` (issue 18): a MobileNetV2 run's whole classifier as a static QDQ int8 ONNX
// file, calibrated on (up to 200 of) the run's training images, and compared with the float32 graph
// on the project's test split, so the export says how differently it behaves (the usual complaint
// about quantized models) in metadata.json, its README and the command's output.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type * as tfl from '@tensorflow/tfjs-layers'
import { AppError } from '../core/errors'
import { loadTrainingExamples, type TrainingExample } from '../db/queries/training-data'
import { onnxMetadataProps, type ExportMetadata, type ExportQuantization } from '../classifier/model-metadata'
import { pickCalibrationExamples, quantizeOnImages } from '../classifier/features/calibrating-quantizer'
import { preprocessForMobileNet } from '../classifier/features/mobilenet-preprocess'
import { DecodeError } from '../classifier/decode'
import { OnnxModel } from '../classifier/onnx-runtime'
import type { RunClassifier } from '../classifier/run-classifier'
import { exportLayersModelToOnnx } from '../onnx/export-onnx'
import { withMetadataProps } from '../onnx/onnx-inspect'
import { QUANTIZATION_KEY } from '../onnx/quantize/quantize-model'
import { ONNX_FILE } from './write-model-files'

export type ExportPrecision = 'none' | 'int8'

/** Images per ONNX Runtime call while comparing on the test split. */
const COMPARE_BATCH = 32

/** Checked before any work: only MobileNetV2 runs (their input is the backbone's) are quantized. */
export function checkQuantizable(classifier: RunClassifier | null): void {
  if (!classifier || classifier.kind !== 'mobilenetv2' || !classifier.model) {
    throw new AppError('UNSUPPORTED', '--quantize int8 exports MobileNetV2 runs only; export this run without it')
  }
}

/**
 * Writes model.onnx as int8 into `folder` and fills `metadata.quantization` (written after this, as
 * metadata.json and the README). Returns the files written.
 */
export async function writeQuantizedOnnx(db: Database, classifier: RunClassifier, metadata: ExportMetadata, folder: string, onProgress?: (message: string) => void): Promise<string[]> {
  checkQuantizable(classifier)
  const model = classifier.model as tfl.LayersModel
  const size = classifier.inputShape[0]
  const float32 = exportLayersModelToOnnx(model, { metadata: onnxMetadataProps(metadata), graphName: `pictor_run_${metadata.runId}` })
  const { examples, classes } = loadTrainingExamples(db)
  // The run's own output order: a class added since training is not one of its outputs.
  const outputOf = (example: TrainingExample) => classifier.classIds.indexOf(classes[example.classIndex]?.id ?? -1)
  const train = examples.filter((example) => example.split === 'train' && outputOf(example) >= 0)
  const test = examples.filter((example) => example.split === 'test' && outputOf(example) >= 0)
  const calibration = pickCalibrationExamples(train)
  if (calibration.length === 0) throw new AppError('INVALID_REQUEST', 'an int8 export calibrates on the training images, and this project has none labeled')
  onProgress?.(`Quantizing to int8 (calibrating on ${calibration.length} training images)`)
  const { bytes, summary } = await quantizeOnImages(float32, calibration.map((example) => example.path), size)
  onProgress?.(`Comparing int8 with float32 on ${test.length} test images`)
  metadata.quantization = {
    precision: 'int8',
    method: summary.note,
    calibrationImages: summary.calibrationImages,
    float32Bytes: float32.length,
    int8Bytes: bytes.length,
    test: await compareOnTest(float32, bytes, test, outputOf, size)
  }
  // The export's metadata (now with the comparison) replaces the float graph's; the quantizer's note stays.
  await writeFile(join(folder, ONNX_FILE), withMetadataProps(bytes, { ...onnxMetadataProps(metadata), [QUANTIZATION_KEY]: summary.note }))
  return [ONNX_FILE]
}

async function compareOnTest(
  float32: Uint8Array,
  int8: Uint8Array,
  test: readonly TrainingExample[],
  outputOf: (example: TrainingExample) => number,
  size: number
): Promise<ExportQuantization['test']> {
  if (test.length === 0) return null
  const [floatModel, int8Model] = [await OnnxModel.create(float32), await OnnxModel.create(int8)]
  let images = 0
  let floatRight = 0
  let int8Right = 0
  let agree = 0
  try {
    for (let start = 0; start < test.length; start += COMPARE_BATCH) {
      const batch: { pixels: Float32Array; label: number }[] = []
      for (const example of test.slice(start, start + COMPARE_BATCH)) {
        try {
          batch.push({ pixels: await preprocessForMobileNet(example.path, size), label: outputOf(example) })
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error
        }
      }
      if (batch.length === 0) continue
      const input = new Float32Array(batch.length * size * size * 3)
      batch.forEach((item, index) => input.set(item.pixels, index * size * size * 3))
      const shape = [batch.length, size, size, 3]
      const [a, b] = [await floatModel.runWithShape(input, shape), await int8Model.runWithShape(input, shape)]
      const classes = a.shape[1]!
      const top = (values: Float32Array, row: number) => {
        const slice = values.subarray(row * classes, (row + 1) * classes)
        return slice.indexOf(Math.max(...slice))
      }
      batch.forEach((item, row) => {
        const [x, y] = [top(a.values, row), top(b.values, row)]
        images++
        floatRight += x === item.label ? 1 : 0
        int8Right += y === item.label ? 1 : 0
        agree += x === y ? 1 : 0
      })
    }
  } finally {
    await floatModel.dispose()
    await int8Model.dispose()
  }
  return images === 0 ? null : { images, float32Top1: floatRight / images, int8Top1: int8Right / images, agreement: agree / images }
}
