// The installed base model's weights for the layers above the stage-2 boundary, read by Keras layer
// name straight from its shards (plain arrays, no tensors: they are folded before any model sees them).
import { AppError } from '../../core/errors'
import { BASE_MODEL_ID, locateBaseModel, readBaseModel } from '../../classifier/features/base-model'
import { BOUNDARY_LAYERS } from '../../classifier/features/feature-spec'
import { mobileNetV2Plan, type LayerPlan } from '../../models/mobilenet-v2-architecture'

export interface NamedArray {
  shape: number[]
  values: Float32Array
}

export interface TopWeights {
  /** The base model's version (must be the one the cached activations came from). */
  version: string
  /** `<layer>/<weight>` (`block_14_expand/kernel`, `block_14_expand_BN/moving_mean`, ...) → values. */
  weights: ReadonlyMap<string, NamedArray>
}

/** Every layer of MobileNetV2's plan above block 13's output: blocks 14–16, Conv_1, its BN and out_relu. */
export function topLayerPlan(): LayerPlan[] {
  const plan = mobileNetV2Plan()
  const boundary = plan.findIndex((layer) => layer.name === BOUNDARY_LAYERS.block_14_input)
  return plan.slice(boundary + 1)
}

/** Reads the weights of the top layers from the base model installed under `modelsDir`. */
export async function readTopWeights(modelsDir: string): Promise<TopWeights> {
  const files = await readBaseModel(await locateBaseModel(modelsDir), BASE_MODEL_ID)
  const wanted = new Set(topLayerPlan().map((layer) => layer.name))
  const data = files.artifacts.weightData as ArrayBuffer
  const weights = new Map<string, NamedArray>()
  let offset = 0
  for (const spec of files.artifacts.weightSpecs ?? []) {
    const count = spec.shape.reduce((product, side) => product * side, 1)
    if (spec.dtype !== 'float32' || spec.quantization) {
      throw new AppError('INVALID_REQUEST', `the base model ${BASE_MODEL_ID} stores ${spec.name} as ${spec.quantization?.dtype ?? spec.dtype}; fine-tuning needs float32 weights`)
    }
    if (wanted.has(spec.name.slice(0, spec.name.lastIndexOf('/')))) {
      // A copy: the shard buffer may be unaligned for Float32Array and is released after this call.
      weights.set(spec.name, { shape: [...spec.shape], values: new Float32Array(data.slice(offset, offset + count * 4)) })
    }
    offset += count * 4
  }
  return { version: files.version, weights }
}
