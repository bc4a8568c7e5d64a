// Reading a TF.js layers model folder (model.json + weight shards) straight from disk, and naming
// its exact weights with a version string that keys the feature cache.
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type * as tf from '@tensorflow/tfjs-core'
import { AppError } from '../../core/errors'

/** The backbone every transfer run uses today (Keras MobileNetV2 1.0/224, include_top=False). */
export const BASE_MODEL_ID = 'mobilenet_v2_1.0_224_no_top'
export const INPUT_SIZE = 224
export const FEATURE_SIZE = 1280

/**
 * Where the base model's model.json lives. The ONE place that knows the folder layout; async so it
 * can become `new BaseModelStore(modelsDir).locate()` (src-main/models) without touching callers.
 */
export async function locateBaseModel(modelsDir: string): Promise<string> {
  return join(modelsDir, BASE_MODEL_ID, 'model.json')
}

export interface BaseModelFiles {
  id: string
  modelJsonPath: string
  /** What tfl.loadLayersModel needs; weightData is all shards joined, in manifest order. */
  artifacts: tf.io.ModelArtifacts
  version: string
}

interface ModelJson {
  modelTopology?: unknown
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, bool: 1, uint16: 2, float16: 2 }

/** Reads model.json and its shards; a missing file or a size mismatch is a clear error, never a half-loaded model. */
export async function readBaseModel(modelJsonPath: string, id: string = BASE_MODEL_ID): Promise<BaseModelFiles> {
  const json = await readModelJson(modelJsonPath, id)
  const groups = json.weightsManifest ?? []
  const weightSpecs = groups.flatMap((group) => group.weights)
  const shards = await Promise.all(
    groups.flatMap((group) => group.paths).map((path) => readShard(join(dirname(modelJsonPath), path), id))
  )
  const total = shards.reduce((sum, shard) => sum + shard.byteLength, 0)
  const expected = weightSpecs.reduce((sum, spec) => sum + specBytes(spec), 0)
  if (total !== expected) {
    throw new AppError('INVALID_REQUEST', `the base model ${id} is damaged: its shards hold ${total} bytes, its manifest needs ${expected}`)
  }
  const joined = new Uint8Array(total)
  let offset = 0
  for (const shard of shards) {
    joined.set(shard, offset)
    offset += shard.byteLength
  }
  const version = `${id}@sha256:${createHash('sha256').update(joined).digest('hex')}`
  rememberVersion(modelJsonPath, await fingerprint(modelJsonPath, groups), version)
  return {
    id,
    modelJsonPath,
    artifacts: { modelTopology: json.modelTopology as object, weightSpecs, weightData: joined.buffer },
    version
  }
}

// Versions by model.json path, valid while every file keeps its size and mtime: a retrain with
// nothing to extract then never reads the 9 MB of shards again.
const versions = new Map<string, { fingerprint: string; version: string }>()

function rememberVersion(path: string, print: string, version: string): void {
  versions.set(path, { fingerprint: print, version })
}

/**
 * The cache key of a base model's weights: `<id>@sha256:<hash of the shard bytes, in order>`.
 * Only the weights count, so a re-converted model with bit-identical weights keeps its cache and any
 * changed weight invalidates it. Computed once per process (see `versions`).
 */
export async function baseModelVersion(modelJsonPath: string, id: string = BASE_MODEL_ID): Promise<string> {
  const json = await readModelJson(modelJsonPath, id)
  const known = versions.get(modelJsonPath)
  if (known && known.fingerprint === (await fingerprint(modelJsonPath, json.weightsManifest ?? []))) return known.version
  return (await readBaseModel(modelJsonPath, id)).version
}

/** A tiny IOHandler so tfl.loadLayersModel reads from memory we filled with fs (no fetch, no file:// URL). */
export function memoryHandler(artifacts: tf.io.ModelArtifacts): tf.io.IOHandler {
  return { load: async () => artifacts }
}

async function readModelJson(path: string, id: string): Promise<ModelJson> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('NOT_FOUND', `the base model ${id} is not installed (no ${path}); fetch or import it first (npx pictor models)`)
    }
    throw new AppError('IO_ERROR', `cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  try {
    const json = JSON.parse(text) as ModelJson
    if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error('modelTopology or weightsManifest is missing')
    return json
  } catch (error) {
    throw new AppError('INVALID_REQUEST', `the base model ${id} is damaged: ${path} is not a TF.js layers model (${(error as Error).message})`)
  }
}

async function readShard(path: string, id: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    throw new AppError('NOT_FOUND', `the base model ${id} is incomplete: cannot read ${path} (${(error as Error).message})`, { cause: error })
  }
}

async function fingerprint(modelJsonPath: string, groups: NonNullable<ModelJson['weightsManifest']>): Promise<string> {
  const files = [modelJsonPath, ...groups.flatMap((group) => group.paths).map((path) => join(dirname(modelJsonPath), path))]
  const stats = await Promise.all(files.map((file) => stat(file).then((s) => `${s.size}:${s.mtimeMs}`, () => 'missing')))
  return stats.join('|')
}

function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((product, size) => product * size, 1)
  const dtype = spec.quantization?.dtype ?? spec.dtype
  const bytes = BYTES[dtype]
  if (bytes === undefined) throw new AppError('INVALID_REQUEST', `weight ${spec.name} has an unsupported dtype ${dtype}`)
  return count * bytes
}
