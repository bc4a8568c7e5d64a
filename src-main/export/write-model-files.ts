// The model files of one export format, written into a (staging) folder. Each writer returns the
// file names it wrote, relative to that folder.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { exportLayersModelToOnnx } from '../onnx/export-onnx'
import { onnxMetadataProps, type ExportMetadata } from '../classifier/model-metadata'

export const ONNX_FILE = 'model.onnx'
export const TFJS_MODEL_JSON = 'model.json'
export const TFJS_WEIGHTS = 'group1-shard1of1.bin'

/** The classifier as ONNX (input 'input' NHWC float32, output 'output'), metadata in metadata_props. */
export async function writeOnnxModel(model: tfl.LayersModel, metadata: ExportMetadata, folder: string): Promise<string[]> {
  const bytes = exportLayersModelToOnnx(model, {
    metadata: onnxMetadataProps(metadata),
    graphName: `pictor_run_${metadata.runId}`,
    docString: `Pictor run ${metadata.runId} (${metadata.modelKind}): ${metadata.labels.join(', ')}. ${metadata.preprocessing.description}`
  })
  await writeFile(join(folder, ONNX_FILE), bytes)
  return [ONNX_FILE]
}

/**
 * The classifier in the TF.js layers format: model.json + one weights shard, what
 * tf.loadLayersModel('…/model.json') reads in a browser (the shard is fetched relative to it).
 */
export async function writeTfjsModel(model: tfl.LayersModel, metadata: ExportMetadata, folder: string): Promise<string[]> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinWeights(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined)
      const json = {
        format: 'layers-model',
        generatedBy: `Pictor ${metadata.pictorVersion}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [TFJS_WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
        // Kept in model.json too, so the labels travel with the model even without metadata.json.
        userDefinedMetadata: { pictor: { labels: metadata.labels, runId: metadata.runId, preprocessing: metadata.preprocessing } }
      }
      await writeFile(join(folder, TFJS_WEIGHTS), weights)
      await writeFile(join(folder, TFJS_MODEL_JSON), JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } }
    })
  )
  return [TFJS_MODEL_JSON, TFJS_WEIGHTS]
}

function joinWeights(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0)
  const parts = Array.isArray(data) ? data : [data]
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    joined.set(new Uint8Array(part), offset)
    offset += part.byteLength
  }
  return joined
}
