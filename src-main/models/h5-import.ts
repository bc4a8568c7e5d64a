import { open } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { WeightSpec } from './mobilenet-v2-architecture'
import { ModelProblem } from './tfjs-folder'

// Reads the weights of a Keras 2 `.h5` file by layer name. Keras stores each layer as a group
// `/<layer>` with the attribute `weight_names` (e.g. `Conv1/kernel:0`) and a dataset at
// `/<layer>/<weight_name>`; the list of layers is the attribute `layer_names`, on the root for files
// written by `save_weights` (the keras-applications files) or on `/model_weights` for `model.save`.

type H5 = typeof import('h5wasm/node')
type H5Group = InstanceType<H5['Group']>

let h5wasm: Promise<H5> | null = null

/** h5wasm instantiates its wasm on import: load it only when a `.h5` file is actually read. */
function loadH5wasm(): Promise<H5> {
  h5wasm ??= import('h5wasm/node').then(async (h5) => {
    const module = await h5.ready
    // Turn HDF5 errors into exceptions instead of messages on stderr and invalid handles.
    module.activate_throwing_error_handler()
    return h5
  })
  return h5wasm
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])

/** HDF5 files start with a signature at 0, 512, 1024, 2048, ... (after an optional user block). */
async function hasHdf5Signature(path: string): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(8192 + 8)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    for (const offset of [0, 512, 1024, 2048, 4096, 8192]) {
      if (offset + 8 <= bytesRead && head.subarray(offset, offset + 8).equals(SIGNATURE)) return true
    }
    return false
  } finally {
    await handle.close()
  }
}

/** The innermost reason in an HDF5 error stack (e.g. "truncated file: eof = ..."), or its first line. */
function hdf5Reason(error: unknown): string {
  const text = String((error as Error)?.message ?? error)
  const reasons = [...text.matchAll(/#\d+:.*? in [\w.]+\(\): (.+)$/gm)].map((match) => match[1]!.trim())
  return reasons.at(-1) ?? text.split('\n')[0]!
}

function strings(value: unknown): string[] {
  if (value === null || value === undefined) return []
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.map((item) => (item instanceof Uint8Array ? Buffer.from(item).toString('utf8') : String(item)))
  return []
}

export interface ReadProgress {
  done: number
  total: number
}

/**
 * Every expected weight's bytes (float32, little-endian, Keras/TF.js layout: kernels HWIO, depthwise
 * kernels HWC1), keyed by the TF.js weight name `<layer>/<weight>`. Throws ModelProblem when the
 * file is not HDF5, is damaged, or does not match the architecture (missing layer, wrong shape).
 */
export async function readKerasH5(
  path: string,
  specs: WeightSpec[],
  onProgress?: (progress: ReadProgress) => void
): Promise<Map<string, Uint8Array>> {
  if (!(await hasHdf5Signature(path))) throw new ModelProblem('it is not an HDF5 (.h5) file')
  const h5 = await loadH5wasm()
  let file: InstanceType<H5['File']>
  try {
    file = new h5.File(resolve(path), 'r')
  } catch (error) {
    throw new ModelProblem(`it is damaged or incomplete and cannot be read as HDF5 (${hdf5Reason(error)})`)
  }
  try {
    const nested = file.get('model_weights')
    const root: H5Group = nested instanceof h5.Group ? nested : file
    const layerNames = new Set(strings(root.attrs['layer_names']?.value))
    if (layerNames.size === 0) {
      throw new ModelProblem('it holds no Keras layer weights (no layer_names attribute); a Keras 2 weights file is needed')
    }
    const byLayer = new Map<string, WeightSpec[]>()
    for (const spec of specs) {
      const layer = spec.name.slice(0, spec.name.lastIndexOf('/'))
      byLayer.set(layer, [...(byLayer.get(layer) ?? []), spec])
    }
    const weights = new Map<string, Uint8Array>()
    let done = 0
    for (const [layer, layerSpecs] of byLayer) {
      const group = layerNames.has(layer) ? root.get(layer) : null
      if (!(group instanceof h5.Group)) throw new ModelProblem(`it has no layer ${layer}, so it is not MobileNetV2 1.0 with Keras layer names`)
      const stored = new Map<string, string>()
      for (const weightName of strings(group.attrs['weight_names']?.value)) {
        stored.set(weightName.split('/').at(-1)!.replace(/:\d+$/, ''), weightName)
      }
      const expected = layerSpecs.map((spec) => spec.name.slice(layer.length + 1))
      const unexpected = [...stored.keys()].filter((key) => !expected.includes(key))
      if (unexpected.length > 0) throw new ModelProblem(`its layer ${layer} has weights (${unexpected.join(', ')}) that MobileNetV2 lacks`)
      for (const spec of layerSpecs) {
        const key = spec.name.slice(layer.length + 1)
        const weightName = stored.get(key)
        const dataset = weightName === undefined ? null : readEntity(group, weightName)
        if (!(dataset instanceof h5.Dataset)) throw new ModelProblem(`its layer ${layer} has no weight ${key}`)
        const shape = dataset.shape ?? []
        if (JSON.stringify(shape) !== JSON.stringify(spec.shape)) {
          throw new ModelProblem(`its weight ${spec.name} has shape [${shape}], expected [${spec.shape}] (a different MobileNetV2 width?)`)
        }
        const { type, size, littleEndian } = dataset.metadata
        if (type !== 1 || size !== 4 || !littleEndian) throw new ModelProblem(`its weight ${spec.name} is not stored as little-endian float32`)
        weights.set(spec.name, readValues(dataset, spec.name))
      }
      onProgress?.({ done: ++done, total: byLayer.size })
    }
    return weights
  } finally {
    file.close()
  }
}

function readEntity(group: H5Group, path: string) {
  try {
    return group.get(path)
  } catch (error) {
    throw new ModelProblem(`it is damaged: ${path} cannot be read (${hdf5Reason(error)})`)
  }
}

function readValues(dataset: { value: unknown }, weight: string): Uint8Array {
  let value: unknown
  try {
    value = dataset.value
  } catch (error) {
    throw new ModelProblem(`it is damaged: ${weight} cannot be read (${hdf5Reason(error)})`)
  }
  if (!(value instanceof Float32Array)) throw new ModelProblem(`its weight ${weight} did not read as float32 values`)
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
}
