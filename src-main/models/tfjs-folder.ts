import { createHash } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { WeightSpec } from './mobilenet-v2-architecture'

// A TF.js layers model on disk: model.json (topology + weightsManifest) and binary shards. These
// helpers read, check and write such folders with plain fs; nothing here loads TensorFlow.js.

export const MODEL_JSON = 'model.json'
const SHARD_BYTES = 4 * 1024 * 1024

export interface ManifestWeight {
  name: string
  shape: number[]
  dtype: string
  quantization?: unknown
}

export interface ModelJson {
  format?: string
  generatedBy?: string
  convertedBy?: string | null
  modelTopology: unknown
  weightsManifest: { paths: string[]; weights: ManifestWeight[] }[]
}

/** What is wrong with a model file or folder, in words a user can act on. */
export class ModelProblem extends Error {}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1 }

function elements(shape: number[]): number {
  return shape.reduce((product, size) => product * size, 1)
}

export function weightBytes(weight: { shape: number[]; dtype: string }): number {
  return elements(weight.shape) * (BYTES_PER_ELEMENT[weight.dtype] ?? Number.NaN)
}

export async function readModelJson(dir: string): Promise<ModelJson> {
  let text: string
  try {
    text = await readFile(join(dir, MODEL_JSON), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelProblem(`${MODEL_JSON} is missing`)
    throw error
  }
  let json: ModelJson
  try {
    json = JSON.parse(text) as ModelJson
  } catch {
    throw new ModelProblem(`${MODEL_JSON} is not valid JSON (damaged or truncated?)`)
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelProblem(`${MODEL_JSON} is not a TF.js layers model (no modelTopology or weightsManifest)`)
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new ModelProblem(`${MODEL_JSON} is a TF.js "${json.format}", not a layers model`)
  }
  for (const group of json.weightsManifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new ModelProblem(`${MODEL_JSON} has a malformed weightsManifest`)
    for (const path of group.paths) {
      if (typeof path !== 'string' || !/^[\w.-]+$/.test(path) || path.startsWith('.')) {
        throw new ModelProblem(`${MODEL_JSON} names a shard outside its folder: ${JSON.stringify(path)}`)
      }
    }
  }
  return json
}

/** The manifest must hold exactly the expected weights (by name), unquantized float32, same shapes. */
export function checkManifest(json: ModelJson, expected: WeightSpec[]): void {
  const found = new Map<string, ManifestWeight>()
  for (const weight of json.weightsManifest.flatMap((group) => group.weights)) {
    if (found.has(weight.name)) throw new ModelProblem(`the weight ${weight.name} appears twice in ${MODEL_JSON}`)
    found.set(weight.name, weight)
  }
  for (const spec of expected) {
    const weight = found.get(spec.name)
    if (!weight) throw new ModelProblem(`the weight ${spec.name} is missing from ${MODEL_JSON}`)
    if (weight.quantization) throw new ModelProblem(`the weight ${spec.name} is quantized; an unquantized float32 model is needed`)
    if (weight.dtype !== spec.dtype) throw new ModelProblem(`the weight ${spec.name} is ${weight.dtype}, expected ${spec.dtype}`)
    if (JSON.stringify(weight.shape) !== JSON.stringify(spec.shape)) {
      throw new ModelProblem(`the weight ${spec.name} has shape [${weight.shape}], expected [${spec.shape}]`)
    }
    found.delete(spec.name)
  }
  const extra = [...found.keys()]
  if (extra.length > 0) throw new ModelProblem(`${MODEL_JSON} has weights this model does not use: ${extra.slice(0, 3).join(', ')}`)
}

/** Every shard is present and each group's shards add up to the bytes its weights need. Returns the total. */
export async function checkShards(dir: string, json: ModelJson): Promise<number> {
  let total = 0
  for (const group of json.weightsManifest) {
    const needed = group.weights.reduce((sum, weight) => sum + weightBytes(weight), 0)
    let present = 0
    for (const path of group.paths) {
      const info = await stat(join(dir, path)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new ModelProblem(`the weight file ${path} is missing`)
        throw error
      })
      present += info.size
    }
    if (present !== needed) {
      throw new ModelProblem(`the weight files ${group.paths.join(', ')} hold ${present} bytes but the manifest needs ${needed} (damaged or truncated)`)
    }
    total += present
  }
  return total
}

/** Every weight's bytes by name, cut from the shards the way tfjs does (groups concatenated in order). */
export async function readWeights(dir: string, json: ModelJson): Promise<Map<string, Uint8Array>> {
  const weights = new Map<string, Uint8Array>()
  for (const group of json.weightsManifest) {
    const buffers = await Promise.all(group.paths.map((path) => readFile(join(dir, path))))
    const data = Buffer.concat(buffers)
    let offset = 0
    for (const weight of group.weights) {
      const size = weightBytes(weight)
      if (offset + size > data.length) throw new ModelProblem(`the weight files end before ${weight.name} (damaged or truncated)`)
      weights.set(weight.name, new Uint8Array(data.buffer, data.byteOffset + offset, size))
      offset += size
    }
  }
  return weights
}

/** SHA-256 over the weights in canonical order (name, shape, bytes): the same for any shard layout. */
export function weightsDigest(expected: WeightSpec[], weights: Map<string, Uint8Array>): string {
  const hash = createHash('sha256')
  for (const spec of expected) {
    const bytes = weights.get(spec.name)
    if (!bytes) throw new ModelProblem(`the weight ${spec.name} is missing`)
    hash.update(`${spec.name}\0${spec.shape.join(',')}\0`)
    hash.update(bytes)
  }
  return hash.digest('hex')
}

/** Writes model.json + `group1-shardNofM.bin` (4 MiB each, as tfjs does) for these weights, in spec order. */
export async function writeModelFolder(
  dir: string,
  topology: unknown,
  specs: WeightSpec[],
  weights: Map<string, Uint8Array>,
  meta: { generatedBy: string; convertedBy: string }
): Promise<void> {
  const data = Buffer.concat(specs.map((spec) => weights.get(spec.name) ?? new Uint8Array(0)))
  const count = Math.max(1, Math.ceil(data.length / SHARD_BYTES))
  const paths = Array.from({ length: count }, (_, index) => `group1-shard${index + 1}of${count}.bin`)
  for (const [index, path] of paths.entries()) {
    await writeFile(join(dir, path), data.subarray(index * SHARD_BYTES, (index + 1) * SHARD_BYTES), { flush: true })
  }
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: meta.generatedBy,
    convertedBy: meta.convertedBy,
    modelTopology: topology,
    weightsManifest: [{ paths, weights: specs.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }]
  }
  await writeFile(join(dir, MODEL_JSON), JSON.stringify(json), { flush: true })
}
