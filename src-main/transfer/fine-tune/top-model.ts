// Stage 2's model (issue 18): what sits above the cached block-14 input — MobileNetV2's blocks 14, 15
// and 16, Conv_1 and out_relu, with every batch norm folded into its conv (fold-batch-norm.ts says
// why) — then GlobalAveragePooling2D and the stage-1 head's two layers with their trained weights.
// One flat layers model [h, w, 160] → probabilities: it trains on cached activations, and the run
// classifier stacks it on the frozen backbone cut at block 13 for inference and export.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { BOUNDARY_LAYERS, featureShape, type FeatureSpec } from '../../classifier/features/feature-spec'
import { FEATURE_SIZE } from '../../classifier/features/base-model'
import { foldBatchNorm } from './fold-batch-norm'
import { topLayerPlan, type NamedArray } from './base-weights'

/** The blocks above the boundary, top first: fine-tuning N blocks trains the first N of these. */
export const TOP_BLOCKS = [16, 15, 14] as const
/** Keras MobileNetV2's batch-norm epsilon (mobilenet-v2-model.ts builds it the same way). */
export const BN_EPSILON = 1e-3
/** The layer names of the head inside the top model (as in head-model.ts). */
export const HEAD_DROPOUT = 'head_dropout'
export const HEAD_PREDICTIONS = 'head_predictions'

export interface TopModelOptions {
  /** The boundary's spec (block_14_input): gives the input shape. */
  spec: Pick<FeatureSpec, 'inputSize' | 'boundary'>
  /** The base model's weights by `<layer>/<weight>` (readTopWeights). */
  base: ReadonlyMap<string, NamedArray>
  /** 1–3: blocks 16, 15–16 or 14–16 train (with Conv_1 and the head); the others stay frozen. */
  trainableBlocks: number
  classes: number
  dropout: number
  seed: number
  /** The trained stage-1 head (Dropout + Dense on 1280 features) whose dense weights are copied; none: a fresh dense layer (a resume loads a checkpoint over it). */
  head?: tfl.LayersModel | null
}

/** Whether a top layer learns when `trainableBlocks` blocks are fine-tuned. */
export function isTrainableLayer(name: string, trainableBlocks: number): boolean {
  const block = /^block_(\d+)_/.exec(name)
  if (!block) return true // Conv_1, out_relu, pooling and the head
  return TOP_BLOCKS.slice(0, trainableBlocks).includes(Number(block[1]) as (typeof TOP_BLOCKS)[number])
}

export function buildTopModel(options: TopModelOptions): tfl.LayersModel {
  const { base, trainableBlocks } = options
  if (options.spec.boundary !== 'block_14_input') throw new RangeError(`the top model starts at block_14_input, not ${options.spec.boundary}`)
  if (!(Number.isInteger(trainableBlocks) && trainableBlocks >= 1 && trainableBlocks <= TOP_BLOCKS.length)) {
    throw new RangeError(`fine-tune 1 to ${TOP_BLOCKS.length} blocks, not ${trainableBlocks}`)
  }
  const plan = topLayerPlan()
  const input = tfl.input({ shape: featureShape(options.spec), name: 'block_14_input', dtype: 'float32' })
  // Symbolic outputs by Keras layer name (the input stands for block 13's output); a folded BN's name
  // points at its conv's output.
  const outputs = new Map<string, tfl.SymbolicTensor>([[BOUNDARY_LAYERS.block_14_input, input]])
  const folded = new Map<string, { kernel: tf.Tensor; bias: tf.Tensor }>()
  const take = (name: string) => outputs.get(name) ?? failPlan(name)
  try {
    for (const layer of plan) {
      const trainable = isTrainableLayer(layer.name, trainableBlocks)
      switch (layer.kind) {
        case 'conv':
        case 'depthwise': {
          const bn = plan.find((next) => next.kind === 'bn' && next.input === layer.name)
          if (!bn) throw new Error(`MobileNetV2 plan: ${layer.name} has no batch norm to fold`)
          const kernelName = `${layer.name}/${layer.kind === 'conv' ? 'kernel' : 'depthwise_kernel'}`
          const kernel = weight(base, kernelName)
          const { kernel: values, bias } = foldBatchNorm(kernel.values, kernel.shape, batchNorm(base, bn.name), layer.kind === 'depthwise')
          folded.set(layer.name, { kernel: tf.tensor(values, kernel.shape), bias: tf.tensor1d(bias) })
          const made =
            layer.kind === 'conv'
              ? tfl.layers.conv2d({ name: layer.name, filters: layer.filters, kernelSize: layer.kernel, strides: layer.strides, padding: layer.padding, useBias: true, trainable })
              : tfl.layers.depthwiseConv2d({ name: layer.name, kernelSize: 3, strides: layer.strides, padding: layer.padding, depthMultiplier: 1, useBias: true, trainable })
          outputs.set(layer.name, made.apply(take(layer.input)) as tfl.SymbolicTensor)
          break
        }
        case 'bn':
          outputs.set(layer.name, take(layer.input))
          break
        case 'relu6':
          // An Activation layer (tf.relu6), not ReLU({maxValue: 6}) as in the backbone: that one is relu
          // then clipByValue, whose gradient costs five elementwise kernels where relu6's costs three.
          outputs.set(layer.name, tfl.layers.activation({ name: layer.name, activation: 'relu6' }).apply(take(layer.input)) as tfl.SymbolicTensor)
          break
        case 'add':
          outputs.set(layer.name, tfl.layers.add({ name: layer.name }).apply(layer.inputs.map(take)) as tfl.SymbolicTensor)
          break
        case 'pad':
          throw new Error(`MobileNetV2 plan: no padding is expected above block 13 (${layer.name})`)
      }
    }
  } catch (error) {
    for (const { kernel, bias } of folded.values()) tf.dispose([kernel, bias])
    throw error
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(take(plan[plan.length - 1]!.name)) as tfl.SymbolicTensor
  const dropped = tfl.layers.dropout({ rate: options.dropout, seed: options.seed, name: HEAD_DROPOUT }).apply(pooled) as tfl.SymbolicTensor
  const predictions = tfl.layers
    .dense({ units: options.classes, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: options.seed }), name: HEAD_PREDICTIONS })
    .apply(dropped) as tfl.SymbolicTensor
  const model = tfl.model({ inputs: input, outputs: predictions, name: 'mobilenetv2_top' })
  // The config flag alone leaves the variables trainable, and the loop's optimizer.minimize updates
  // every trainable variable the loss touches: the setter marks the frozen layers' variables too.
  for (const layer of model.layers) if (!isTrainableLayer(layer.name, trainableBlocks) && layer.weights.length > 0) layer.trainable = false
  // setWeights copies into the layers' variables: the folded tensors are released right after.
  for (const [name, { kernel, bias }] of folded) {
    model.getLayer(name).setWeights([kernel, bias])
    tf.dispose([kernel, bias])
  }
  if (options.head) model.getLayer(HEAD_PREDICTIONS).setWeights(denseOf(options.head, options.classes))
  return model
}

/** The stage-1 head's dense weights (kernel [1280, classes], bias), checked against the top model's. */
function denseOf(head: tfl.LayersModel, classes: number): tf.Tensor[] {
  const dense = head.getLayer(HEAD_PREDICTIONS)
  const weights = dense.getWeights()
  const kernel = weights[0]!
  if (kernel.shape.join() !== `${FEATURE_SIZE},${classes}`) throw new Error(`the stage-1 head's kernel is ${kernel.shape}, expected ${FEATURE_SIZE},${classes}`)
  return weights
}

function weight(base: ReadonlyMap<string, NamedArray>, name: string): NamedArray {
  const found = base.get(name)
  if (!found) throw new Error(`the base model has no weight ${name}`)
  return found
}

function batchNorm(base: ReadonlyMap<string, NamedArray>, layer: string) {
  return {
    gamma: weight(base, `${layer}/gamma`).values,
    beta: weight(base, `${layer}/beta`).values,
    movingMean: weight(base, `${layer}/moving_mean`).values,
    movingVariance: weight(base, `${layer}/moving_variance`).values,
    epsilon: BN_EPSILON
  }
}

function failPlan(name: string): never {
  throw new Error(`MobileNetV2 plan: ${name} is used before it is built`)
}
