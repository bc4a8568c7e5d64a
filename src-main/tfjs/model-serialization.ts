import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types'
import type { StoredModel, StoredWeights } from '../db/queries/run-models'

/** tfjs 4.x hands weights over as one buffer or a list of them. */
function joinWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data)
  const total = data.reduce((sum, part) => sum + part.byteLength, 0)
  const joined = new Uint8Array(total)
  let offset = 0
  for (const part of data) {
    joined.set(new Uint8Array(part), offset)
    offset += part.byteLength
  }
  return joined
}

/** The whole model (topology + weights) as storable parts, in the TF.js layers format. */
export async function serializeModel(model: tfl.LayersModel): Promise<StoredModel> {
  let stored: StoredModel | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      stored = {
        topology: artifacts.modelTopology,
        weightSpecs: artifacts.weightSpecs ?? [],
        weights: joinWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[])
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  return stored!
}

export async function deserializeModel(stored: StoredModel): Promise<tfl.LayersModel> {
  const weights = stored.weights
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: stored.topology as object,
      weightSpecs: stored.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: buffer
    })
  )
}

/** Named tensors → storable parts (for model weights in checkpoints and optimizer state). */
export async function encodeNamed(tensors: NamedTensor[]): Promise<StoredWeights> {
  const { data, specs } = await tf.io.encodeWeights(tensors)
  return { weightSpecs: specs, weights: joinWeightData(data as ArrayBuffer | ArrayBuffer[]) }
}

export function decodeNamed(stored: StoredWeights): NamedTensor[] {
  const weights = stored.weights
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer
  const map = tf.io.decodeWeights(buffer, stored.weightSpecs as tf.io.WeightsManifestEntry[])
  return (stored.weightSpecs as tf.io.WeightsManifestEntry[]).map((spec) => ({ name: spec.name, tensor: map[spec.name]! }))
}

/** The model's variables as named tensors, in order (names are unique within one model). */
export function modelWeights(model: tfl.LayersModel): NamedTensor[] {
  return model.weights.map((variable, index) => ({ name: `${index}:${variable.name}`, tensor: variable.read() }))
}

export function restoreModelWeights(model: tfl.LayersModel, named: NamedTensor[]): void {
  if (named.length !== model.weights.length) {
    throw new Error(`the checkpoint has ${named.length} weights but the model has ${model.weights.length}`)
  }
  model.setWeights(named.map((entry) => entry.tensor))
  named.forEach((entry) => entry.tensor.dispose())
}
