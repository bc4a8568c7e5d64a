// The frozen backbone as a function from preprocessed images to features: the 1280-d pooled vector
// at 224 px by default, or what a FeatureSpec asks for (another input size, or block 13's output).
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { BackendName } from '../../contract/types'
import { activateBackend } from '../../tfjs/backend'
import { buildMobileNetV2 } from '../../models/mobilenet-v2-model'
import { BASE_MODEL_ID, FEATURE_SIZE, INPUT_SIZE, locateBaseModel, memoryHandler, readBaseModel } from './base-model'
import { BOUNDARY_LAYERS, DEFAULT_FEATURE_SPEC, featureCacheKey, featureLength, type FeatureSpec } from './feature-spec'

/** The name of the pooling layer appended to the backbone (Keras' default name for it). */
export const POOLING_LAYER = BOUNDARY_LAYERS.pooled

export interface FeatureExtractorOptions {
  /** Forces a backend; by default the engine's preference order (wasm here). */
  backend?: BackendName | null
  /** Input size and boundary (precision is ONNX Runtime's business: TF.js always runs float32). Default: 224, pooled. */
  spec?: FeatureSpec
}

export class FeatureExtractor {
  private constructor(
    /** Backbone up to the spec's boundary: [null, s, s, 3] → [null, 1280] (pooled) or [null, s/32, s/32, 160]. */
    readonly model: tfl.LayersModel,
    /** `<id>@sha256:<weights>`: the base model's version (see featureCacheKey for what features are stored under). */
    readonly version: string,
    readonly backend: BackendName,
    readonly spec: FeatureSpec,
    /** What dispose() releases: the whole backbone (the boundary model is part of it). */
    private readonly owner: tfl.LayersModel
  ) {}

  /** The key features from this extractor are cached under. */
  get cacheKey(): string {
    return featureCacheKey(this.version, this.spec)
  }

  /** Loads the installed base model from `modelsDir` (see locateBaseModel). */
  static async load(modelsDir: string, options: FeatureExtractorOptions = {}): Promise<FeatureExtractor> {
    return FeatureExtractor.fromModelJson(await locateBaseModel(modelsDir), options)
  }

  static async fromModelJson(modelJsonPath: string, options: FeatureExtractorOptions = {}): Promise<FeatureExtractor> {
    const spec = options.spec ?? DEFAULT_FEATURE_SPEC
    const backend = await activateBackend(options.backend ?? undefined)
    const files = await readBaseModel(modelJsonPath, BASE_MODEL_ID)
    const loaded = await tfl.loadLayersModel(memoryHandler(files.artifacts))
    const input = loaded.inputs[0]!
    const output = loaded.outputs[0]!
    if (input.shape.slice(1).join() !== `${INPUT_SIZE},${INPUT_SIZE},3` || output.shape.length !== 4 || output.shape[3] !== FEATURE_SIZE) {
      loaded.dispose()
      throw new Error(`${modelJsonPath} is not a MobileNetV2 backbone: input ${input.shape}, output ${output.shape}`)
    }
    const backbone = spec.inputSize === INPUT_SIZE ? loaded : resized(loaded, spec.inputSize)
    const model = cutAtBoundary(backbone, spec, files.id)
    model.trainable = false
    return new FeatureExtractor(model, files.version, backend.name, spec, backbone)
  }

  /** Values of one preprocessed image for this extractor (s · s · 3). */
  get inputValues(): number {
    return this.spec.inputSize * this.spec.inputSize * 3
  }

  /**
   * Features for a batch of preprocessed images (each s·s·3 values from preprocessForMobileNet at the
   * spec's size), one Float32Array per image, in order. Inference mode: batch norm on its moving averages.
   */
  async extract(images: readonly Float32Array[]): Promise<Float32Array[]> {
    if (images.length === 0) return []
    const values = this.inputValues
    const size = this.spec.inputSize
    const input = new Float32Array(images.length * values)
    images.forEach((image, index) => {
      if (image.length !== values) {
        throw new RangeError(`image ${index} has ${image.length} values, expected ${values}`)
      }
      input.set(image, index * values)
    })
    const output = tf.tidy(() => this.model.predict(tf.tensor4d(input, [images.length, size, size, 3])) as tf.Tensor)
    try {
      const data = (await output.data()) as Float32Array
      const length = featureLength(this.spec)
      // Copies, so each image's features own their memory (a view would pin the whole batch).
      return images.map((_, index) => data.slice(index * length, (index + 1) * length))
    } finally {
      output.dispose()
    }
  }

  dispose(): void {
    // The boundary model shares the backbone's layers; a pooled model adds a weightless pooling layer.
    this.owner.dispose()
  }
}

/** The same network at another input size, with the loaded weights (MobileNetV2 is fully convolutional). */
function resized(loaded: tfl.LayersModel, inputSize: number): tfl.LayersModel {
  const model = buildMobileNetV2({ inputSize })
  try {
    // getWeights() hands out the variables' own tensors (read, not copied) and setWeights copies into
    // the new model's variables, so nothing here is disposed but the loaded model at the end.
    for (const layer of model.layers) if (layer.weights.length > 0) layer.setWeights(loaded.getLayer(layer.name).getWeights())
    return model
  } catch (error) {
    model.dispose()
    throw error
  } finally {
    loaded.dispose()
  }
}

/**
 * The backbone up to the spec's boundary. Pooling is a layer (not a bare tf.mean) so backbone +
 * pooling + head assemble into one exportable layers model later, with the same ops that computed
 * the cached features.
 */
function cutAtBoundary(backbone: tfl.LayersModel, spec: FeatureSpec, id: string): tfl.LayersModel {
  if (spec.boundary === 'pooled') {
    const pooled = tfl.layers.globalAveragePooling2d({ name: POOLING_LAYER }).apply(backbone.outputs[0]!) as tfl.SymbolicTensor
    return tfl.model({ inputs: backbone.inputs, outputs: pooled, name: `${id}_features` })
  }
  const boundary = backbone.getLayer(BOUNDARY_LAYERS[spec.boundary]).output as tfl.SymbolicTensor
  return tfl.model({ inputs: backbone.inputs, outputs: boundary, name: `${id}_to_${spec.boundary}` })
}
