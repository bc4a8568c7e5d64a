// The worker side of data-parallel training: a replica of the coordinator's model that, for each
// step, takes the coordinator's current weights and one shard of the global batch and returns the
// gradients of the shard's mean loss. It never updates its own trainable weights: the coordinator's
// optimizer is the only one, so every replica starts each step from the same master copy.
import type { MessagePort } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { activateBackend } from '../../tfjs/backend'
import { correctCount, crossEntropy } from '../loop/metrics'
import type { FromGradientWorker, GradientWorkerData, Shard, ShardResult, ToGradientWorker } from './gradient-protocol'

/**
 * Gradients of `model` on one shard, in training mode (dropout on; batch norm normalizes with the
 * shard's own statistics and moves its averages by them, as on one device).
 */
export function shardGradients(model: tfl.LayersModel, shard: Shard): ShardResult {
  const trainable = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  let probabilities: tf.Tensor | undefined
  const { value, grads, ys } = tf.tidy(() => {
    const xs = tf.tensor4d(shard.xs, shard.xsShape)
    const ys = tf.keep(tf.tensor2d(shard.ys, shard.ysShape))
    const weights = shard.weights ? tf.tensor1d(shard.weights) : undefined
    const result = tf.variableGrads(() => {
      const output = model.apply(xs, { training: true }) as tf.Tensor
      probabilities = tf.keep(output)
      return crossEntropy(output, ys, weights)
    }, trainable)
    return { ...result, ys }
  })
  try {
    const gradients = concatenate(trainable.map((variable) => grads[variable.name]!))
    return {
      gradients,
      lossSum: value.dataSync()[0]! * shard.size,
      correct: correctCount(probabilities!, ys),
      count: shard.size,
      nonTrainable: concatenate(model.nonTrainableWeights.map((weight) => weight.read()))
    }
  } finally {
    tf.dispose([value, ys, probabilities!, ...Object.values(grads)])
  }
}

/** Tensors' values one after another in a new array. */
export function concatenate(tensors: readonly tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((sum, tensor) => sum + tensor.size, 0))
  let offset = 0
  for (const tensor of tensors) {
    out.set(tensor.dataSync() as Float32Array, offset)
    offset += tensor.size
  }
  return out
}

/** Sets `weights` (a model's, in its order) from one flat array, the layout `concatenate` makes. */
export function assignWeights(weights: readonly tfl.LayerVariable[], flat: Float32Array): void {
  let offset = 0
  tf.tidy(() => {
    for (const weight of weights) {
      const variable = weight.read() as tf.Variable
      variable.assign(tf.tensor(flat.subarray(offset, offset + variable.size), variable.shape))
      offset += variable.size
    }
  })
  if (offset !== flat.length) throw new Error(`${flat.length} values arrived for weights of ${offset}`)
}

/** The gradient worker's whole life on `port`: build the replica, answer steps until 'close'. */
export async function serveGradientReplica(port: MessagePort, data: GradientWorkerData): Promise<void> {
  const post = (message: FromGradientWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)
  let model: tfl.LayersModel
  try {
    await activateBackend(data.backend)
    model = await tfl.models.modelFromJSON(JSON.parse(data.topology) as tf.serialization.ConfigDict)
  } catch (error) {
    post(failure(null, error))
    return
  }
  port.on('message', (message: ToGradientWorker) => {
    if (message.type === 'close') {
      model.dispose()
      port.close()
      return
    }
    try {
      assignWeights(model.weights, message.weights)
      const result = shardGradients(model, message.shard)
      post({ type: 'gradients', id: message.id, ...result }, [result.gradients.buffer as ArrayBuffer, result.nonTrainable.buffer as ArrayBuffer])
    } catch (error) {
      post(failure(message.id, error))
    }
  })
  post({ type: 'ready' })
}

function failure(id: number | null, error: unknown): FromGradientWorker {
  return error instanceof Error ? { type: 'failed', id, name: error.name, message: error.message } : { type: 'failed', id, name: 'Error', message: String(error) }
}
