// The coordinating half of data-parallel training (gradient-replica.ts is the other): each global
// batch is cut into contiguous shards, one per gradient worker; every worker computes the gradients
// of its shard's mean loss from the coordinator's current weights; the coordinator averages them,
// weighted by shard size (the loss is a mean over the batch, so this is the global batch's gradient),
// and takes ONE optimizer step on its own model, which stays the master copy that callbacks,
// checkpoints, early stopping and evaluation act on.
//
// Batch norm: each shard normalizes with its own batch statistics (as PyTorch DDP without SyncBN);
// the moving averages the replicas end a step with are averaged by shard size into the master model.
// Dropout masks differ per shard.
import type { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { BackendName } from '../../contract/types'
import { DIVERGED, type StepResult, type TensorBatch } from '../loop/train-loop'
import { assignWeights, concatenate, shardGradients } from './gradient-replica'
import type { FromGradientWorker, GradientWorkerData, Shard, ShardResult, ToGradientWorker } from './gradient-protocol'
import { shardBatch } from './shard'

/** How gradient workers are started: passed down from the shell that may start threads. */
export interface GradientWorkers {
  /** Worker threads to start (≥ 2; one means the plain local step). */
  count: number
  spawn(data: GradientWorkerData): Worker
  /** The coordinator computes a shard too (count + 1 shards) instead of only preparing batches. */
  coordinatorShard?: boolean
  /** How long the workers may take to load TF.js and build their replicas (default 2 minutes). */
  startTimeoutMs?: number
}

const START_TIMEOUT_MS = 120_000

interface Replica {
  worker: Worker
  pending: Map<number, { resolve(result: ShardResult): void; reject(error: Error): void }>
}

export class ParallelStepper {
  private nextId = 0
  private broken: Error | null = null
  /** Set by the first dispose (a cancel's, or the stage's end); every later call waits for the same. */
  private stopped: Promise<void> | null = null
  private unwatch: () => void = () => {}

  private constructor(
    private readonly replicas: Replica[],
    private readonly coordinatorShard: boolean
  ) {}

  /**
   * Starts the workers with replicas of `model`; resolves once every one is ready. `signal` aborting
   * stops the workers at once, whatever they are doing: a step (or a start) that never ended would
   * otherwise keep a cancel from ever being seen, since the loop looks for it between steps.
   */
  static async start(model: tfl.LayersModel, backend: BackendName, workers: GradientWorkers, signal?: AbortSignal): Promise<ParallelStepper> {
    const data: GradientWorkerData = { topology: JSON.stringify(model.toJSON(null, false)), backend }
    const replicas: Replica[] = []
    const stepper = new ParallelStepper(replicas, workers.coordinatorShard ?? false)
    const ready: Promise<void>[] = []
    let timer: NodeJS.Timeout | undefined
    try {
      if (signal) {
        const stop = () => void stepper.dispose()
        signal.addEventListener('abort', stop, { once: true })
        stepper.unwatch = () => signal.removeEventListener('abort', stop)
        signal.throwIfAborted()
      }
      for (let index = 0; index < workers.count; index++) {
        const replica: Replica = { worker: workers.spawn(data), pending: new Map() }
        replicas.push(replica)
        ready.push(stepper.listen(replica))
      }
      const seconds = (workers.startTimeoutMs ?? START_TIMEOUT_MS) / 1000
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the gradient workers did not start within ${seconds} s`)), seconds * 1000)
      })
      await Promise.race([Promise.all(ready), late])
    } catch (error) {
      await stepper.dispose()
      throw error
    } finally {
      clearTimeout(timer)
    }
    return stepper
  }

  get workers(): number {
    return this.replicas.length
  }

  /** One optimizer step on `model` with the batch's gradients, computed in the workers. */
  readonly step = async (model: tfl.LayersModel, optimizer: tf.Optimizer, batch: TensorBatch): Promise<StepResult> => {
    if (this.broken) throw this.broken
    const local = this.coordinatorShard ? 1 : 0
    const shards = shardBatch(batch, this.replicas.length + local)
    const weights = concatenate(model.weights.map((weight) => weight.read()))
    const remoteShards = shards.slice(local)
    // Each worker gets its own copy (a transferred buffer is gone from this thread); the last takes the original.
    const remote = remoteShards.map((shard, index) => this.send(this.replicas[index]!, index === remoteShards.length - 1 ? weights : weights.slice(), shard))
    // Read before the local shard's forward pass moves the master's batch-norm averages.
    const results: Promise<ShardResult>[] = local && shards[0] ? [Promise.resolve().then(() => shardGradients(model, shards[0]!)), ...remote] : remote
    const settled = await Promise.allSettled(results)
    const failed = settled.find((outcome) => outcome.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
    return applyAveraged(model, optimizer, settled.map((outcome) => (outcome as PromiseFulfilledResult<ShardResult>).value))
  }

  /** Stops every worker; safe to call more than once. */
  dispose(): Promise<void> {
    if (!this.stopped) {
      this.unwatch()
      this.broken ??= new Error('the gradient workers were stopped')
      this.stopped = Promise.all(this.replicas.map((replica) => replica.worker.terminate())).then(() => undefined)
    }
    return this.stopped
  }

  private send(replica: Replica, weights: Float32Array, shard: Shard): Promise<ShardResult> {
    const id = this.nextId++
    const transfer = [weights.buffer, shard.xs.buffer, shard.ys.buffer, ...(shard.weights ? [shard.weights.buffer] : [])] as ArrayBuffer[]
    return new Promise<ShardResult>((resolve, reject) => {
      replica.pending.set(id, { resolve, reject })
      replica.worker.postMessage({ type: 'step', id, weights, shard } satisfies ToGradientWorker, transfer)
    })
  }

  /** Routes the worker's answers to the steps waiting for them; resolves when the replica is ready. */
  private listen(replica: Replica): Promise<void> {
    const { worker, pending } = replica
    return new Promise<void>((ready, notReady) => {
      const breakAll = (error: Error) => {
        this.broken ??= error
        notReady(error)
        for (const waiting of pending.values()) waiting.reject(error)
        pending.clear()
      }
      worker.on('message', (message: FromGradientWorker) => {
        if (message.type === 'ready') return ready()
        if (message.type === 'failed' && message.id === null) return breakAll(asError(message))
        const waiting = pending.get(message.id!)
        if (!waiting) return
        pending.delete(message.id!)
        if (message.type === 'failed') waiting.reject(asError(message))
        else waiting.resolve(message)
      })
      worker.on('error', breakAll)
      worker.on('exit', (code) => breakAll(new Error(`a gradient worker exited (${code})`)))
    })
  }
}

/** Averages the shards' results by their sizes and applies them to the master model. */
function applyAveraged(model: tfl.LayersModel, optimizer: tf.Optimizer, results: readonly ShardResult[]): StepResult {
  const total = results.reduce((sum, result) => sum + result.count, 0)
  const loss = results.reduce((sum, result) => sum + result.lossSum, 0) / total
  if (!Number.isFinite(loss)) throw new Error(DIVERGED)
  const gradients = weightedMean(results.map((result) => result.gradients), results, total)
  tf.tidy(() => {
    const named: tf.NamedTensorMap = {}
    let offset = 0
    for (const weight of model.trainableWeights) {
      const variable = weight.read() as tf.Variable
      named[variable.name] = tf.tensor(gradients.subarray(offset, offset + variable.size), variable.shape)
      offset += variable.size
    }
    optimizer.applyGradients(named)
  })
  if (model.nonTrainableWeights.length) {
    assignWeights(model.nonTrainableWeights, weightedMean(results.map((result) => result.nonTrainable), results, total))
  }
  return { loss, correct: results.reduce((sum, result) => sum + result.correct, 0) }
}

/** Σ (count_s / total) · values_s, element by element. */
export function weightedMean(values: readonly Float32Array[], results: readonly { count: number }[], total: number): Float32Array {
  const out = new Float32Array(values[0]!.length)
  values.forEach((array, index) => {
    const share = results[index]!.count / total
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + share * array[i]!
  })
  return out
}

function asError(message: FromGradientWorker): Error {
  if (message.type !== 'failed') return new Error(`unexpected message from a gradient worker: ${message.type}`)
  const error = new Error(message.message)
  error.name = message.name
  return error
}
