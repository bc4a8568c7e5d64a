import { existsSync, readdirSync } from 'node:fs'
import { expect, type TestContext } from 'vitest'
import { mobileNetV2Plan, mobileNetV2WeightSpecs, type WeightSpec } from '../../src-main/models/mobilenet-v2-architecture'
import { readModelJson, readWeights } from '../../src-main/models/tfjs-folder'
import { BASE_MODEL, missingShared, SHARED_MODELS_DIR, SHARED_NO_TOP } from './shared-assets'

// The shared MobileNetV2 TF.js weights (../shared, never committed) and a writer for Keras-layout
// `.h5` files made from them, so the `.h5` import path is tested offline, bit for bit.

export { SHARED_MODELS_DIR, SHARED_NO_TOP }

/** Skips the test, visibly, when the shared base model is not on this machine. */
export function needSharedModel(context: TestContext): void {
  const missing = missingShared(BASE_MODEL)
  if (missing) context.skip(missing)
}

export async function sharedWeights(): Promise<Map<string, Uint8Array>> {
  return readWeights(SHARED_NO_TOP, await readModelJson(SHARED_NO_TOP))
}

export interface KerasH5Options {
  /** Leave this layer's group (and its entry in layer_names) out. */
  omitLayer?: string
  /** Store this weight with another shape (same number of values when possible). */
  reshape?: { name: string; shape: number[] }
  /** `model.save` layout: everything under /model_weights instead of the root. */
  nested?: boolean
}

/**
 * Writes the weights in the layout Keras 2 `save_weights` uses: root attribute `layer_names` (every
 * layer, fixed-length byte strings), one group per layer with attribute `weight_names`
 * (`<layer>/<weight>:0`), and each dataset at `/<layer>/<layer>/<weight>:0`.
 */
export async function writeKerasH5(path: string, weights: Map<string, Uint8Array>, options: KerasH5Options = {}): Promise<void> {
  const h5 = await import('h5wasm/node')
  await h5.ready
  const file = new h5.File(path, 'w')
  try {
    const root = options.nested ? file.create_group('model_weights') : file
    const layers = ['input_1', ...mobileNetV2Plan().map((layer) => layer.name)].filter((layer) => layer !== options.omitLayer)
    const width = Math.max(...layers.map((layer) => layer.length))
    root.create_attribute('layer_names', layers, [layers.length], `S${width}`)
    root.create_attribute('backend', 'tensorflow')
    root.create_attribute('keras_version', '2.1.6')
    const specs = new Map<string, WeightSpec[]>()
    for (const spec of mobileNetV2WeightSpecs()) {
      const layer = spec.name.split('/')[0]!
      specs.set(layer, [...(specs.get(layer) ?? []), spec])
    }
    for (const layer of layers) {
      const group = root.create_group(layer)
      // Keras order within a layer: kernel; gamma, beta, moving_mean, moving_variance.
      const own = (specs.get(layer) ?? []).sort((a, b) => Number(!a.trainable) - Number(!b.trainable))
      if (own.length === 0) continue
      const names = own.map((spec) => `${spec.name}:0`)
      group.create_attribute('weight_names', names, [names.length], `S${Math.max(...names.map((name) => name.length))}`)
      const inner = group.create_group(layer)
      for (const spec of own) {
        const bytes = weights.get(spec.name)!
        const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
        const shape = options.reshape?.name === spec.name ? options.reshape.shape : spec.shape
        const size = shape.reduce((product, side) => product * side, 1)
        const data = size === values.length ? values : new Float32Array(size).fill(0.5)
        inner.create_dataset({ name: `${spec.name.split('/')[1]}:0`, data, shape, dtype: '<f' })
      }
    }
  } finally {
    file.close()
  }
}

/** The models dir holds exactly these entries: no temp folders, no half-installed model. */
export function expectOnlyEntries(dir: string, entries: string[]): void {
  const present = existsSync(dir) ? readdirSync(dir).sort() : []
  expect(present).toEqual([...entries].sort())
}
