import * as tfl from '@tensorflow/tfjs-layers'
import { correctPad, MOBILENET_V2_INPUT_NAME, mobileNetV2Plan } from './mobilenet-v2-architecture'

export interface MobileNetV2Options {
  /** Square input side; 224 for the ImageNet weights. Random-init pipeline tests may use less. */
  inputSize?: number
  /** 'avg' appends GlobalAveragePooling2D → [null, 1280] (the feature vector). */
  pooling?: 'avg'
  name?: string
}

/**
 * Builds MobileNetV2 1.0 without its top, randomly initialised, with the same layer names, configs
 * and weight names as Keras (`keras.applications.MobileNetV2(alpha=1.0, include_top=False)`).
 * Load weights into it with `loadWeightsInto` / `tfl.loadLayersModel`; needs an active tfjs backend.
 */
export function buildMobileNetV2(options: MobileNetV2Options = {}): tfl.LayersModel {
  const size = options.inputSize ?? 224
  const input = tfl.input({ shape: [size, size, 3], name: MOBILENET_V2_INPUT_NAME, dtype: 'float32' })
  const outputs = new Map<string, tfl.SymbolicTensor>([[MOBILENET_V2_INPUT_NAME, input]])
  const take = (name: string): tfl.SymbolicTensor => {
    const tensor = outputs.get(name)
    if (!tensor) throw new Error(`MobileNetV2 plan: ${name} is used before it is built`)
    return tensor
  }
  let last = input
  for (const layer of mobileNetV2Plan()) {
    let output: tfl.SymbolicTensor
    switch (layer.kind) {
      case 'conv':
        output = tfl.layers
          .conv2d({ name: layer.name, filters: layer.filters, kernelSize: layer.kernel, strides: layer.strides, padding: layer.padding, useBias: false })
          .apply(take(layer.input)) as tfl.SymbolicTensor
        break
      case 'depthwise':
        output = tfl.layers
          .depthwiseConv2d({ name: layer.name, kernelSize: 3, strides: layer.strides, padding: layer.padding, depthMultiplier: 1, useBias: false })
          .apply(take(layer.input)) as tfl.SymbolicTensor
        break
      case 'bn':
        output = tfl.layers
          .batchNormalization({ name: layer.name, axis: -1, momentum: 0.999, epsilon: 1e-3 })
          .apply(take(layer.input)) as tfl.SymbolicTensor
        break
      case 'relu6':
        output = tfl.layers.reLU({ name: layer.name, maxValue: 6 }).apply(take(layer.input)) as tfl.SymbolicTensor
        break
      case 'pad': {
        const source = take(layer.input)
        output = tfl.layers.zeroPadding2d({ name: layer.name, padding: correctPad(source.shape[1] ?? null) }).apply(source) as tfl.SymbolicTensor
        break
      }
      case 'add':
        output = tfl.layers.add({ name: layer.name }).apply(layer.inputs.map(take)) as tfl.SymbolicTensor
        break
    }
    outputs.set(layer.name, output)
    last = output
  }
  if (options.pooling === 'avg') {
    last = tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(last) as tfl.SymbolicTensor
  }
  const name = options.name ?? `mobilenetv2_1.00_${size}${options.pooling === 'avg' ? '_feature_vector' : ''}`
  return tfl.model({ inputs: input, outputs: last, name })
}
