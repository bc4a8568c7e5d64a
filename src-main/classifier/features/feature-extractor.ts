// The frozen backbone as a function from preprocessed images to 1280-d pooled features.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { BackendName } from '../../contract/types'
import { activateBackend } from '../../tfjs/backend'
import { BASE_MODEL_ID, FEATURE_SIZE, INPUT_SIZE, locateBaseModel, memoryHandler, readBaseModel } from './base-model'
import { MOBILENET_INPUT_VALUES } from './mobilenet-preprocess'

/** The name of the pooling layer appended to the backbone (Keras' default name for it). */
export const POOLING_LAYER = 'global_average_pooling2d'

export interface FeatureExtractorOptions {
  /** Forces a backend; by default the engine's preference order (wasm here). */
  backend?: BackendName | null
}

export class FeatureExtractor {
  private constructor(
    /** Backbone + GlobalAveragePooling2D: [null, 224, 224, 3] → [null, 1280]. */
    readonly model: tfl.LayersModel,
    /** `<id>@sha256:<weights>`: the feature cache key for everything this extractor computes. */
    readonly version: string,
    readonly backend: BackendName
  ) {}

  /** Loads the installed base model from `modelsDir` (see locateBaseModel). */
  static async load(modelsDir: string, options: FeatureExtractorOptions = {}): Promise<FeatureExtractor> {
    return FeatureExtractor.fromModelJson(await locateBaseModel(modelsDir), options)
  }

  static async fromModelJson(modelJsonPath: string, options: FeatureExtractorOptions = {}): Promise<FeatureExtractor> {
    const backend = await activateBackend(options.backend ?? undefined)
    const files = await readBaseModel(modelJsonPath, BASE_MODEL_ID)
    const backbone = await tfl.loadLayersModel(memoryHandler(files.artifacts))
    const input = backbone.inputs[0]!
    const output = backbone.outputs[0]!
    if (input.shape.slice(1).join() !== `${INPUT_SIZE},${INPUT_SIZE},3` || output.shape.length !== 4 || output.shape[3] !== FEATURE_SIZE) {
      backbone.dispose()
      throw new Error(`${modelJsonPath} is not a MobileNetV2 backbone: input ${input.shape}, output ${output.shape}`)
    }
    // Pooling as a layer (not a bare tf.mean) so backbone + pooling + head assemble into one
    // exportable layers model later, with the same ops that computed the cached features.
    const pooled = tfl.layers.globalAveragePooling2d({ name: POOLING_LAYER }).apply(output) as tfl.SymbolicTensor
    const model = tfl.model({ inputs: backbone.inputs, outputs: pooled, name: `${files.id}_features` })
    model.trainable = false
    return new FeatureExtractor(model, files.version, backend.name)
  }

  /**
   * Features for a batch of preprocessed images (each 224·224·3 values from preprocessForMobileNet),
   * one Float32Array of 1280 per image, in order. Inference mode: batch norm on its moving averages.
   */
  async extract(images: readonly Float32Array[]): Promise<Float32Array[]> {
    if (images.length === 0) return []
    const input = new Float32Array(images.length * MOBILENET_INPUT_VALUES)
    images.forEach((image, index) => {
      if (image.length !== MOBILENET_INPUT_VALUES) {
        throw new RangeError(`image ${index} has ${image.length} values, expected ${MOBILENET_INPUT_VALUES}`)
      }
      input.set(image, index * MOBILENET_INPUT_VALUES)
    })
    const output = tf.tidy(() => this.model.predict(tf.tensor4d(input, [images.length, INPUT_SIZE, INPUT_SIZE, 3])) as tf.Tensor)
    try {
      const values = (await output.data()) as Float32Array
      // Copies, so each image's features own their memory (a view would pin the whole batch).
      return images.map((_, index) => values.slice(index * FEATURE_SIZE, (index + 1) * FEATURE_SIZE))
    } finally {
      output.dispose()
    }
  }

  dispose(): void {
    this.model.dispose()
  }
}
