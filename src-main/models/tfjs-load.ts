import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { buildMobileNetV2 } from './mobilenet-v2-model'
import { ModelProblem, readModelJson } from './tfjs-folder'

// The parts of model management that need TensorFlow.js. The store imports this module lazily, so
// listing models (and every other CLI command) starts without loading tfjs.

/** Makes sure a backend is active; picks the pure-JS cpu backend only when none was chosen yet. */
export async function ensureBackend(): Promise<void> {
  if (!tf.engine().backendName) {
    // Checking a model here is not training: skip tfjs's "install tfjs-node" banner on stderr.
    tf.env().set('PROD', true)
    await tf.setBackend('cpu')
  }
  await tf.ready()
}

/** A tfjs IOHandler that loads a TF.js layers model.json and its shards from the file system. */
export function fileModelHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const dir = dirname(modelJsonPath)
      const json = await readModelJson(dir)
      const buffers: Buffer[] = []
      for (const group of json.weightsManifest) for (const path of group.paths) buffers.push(await readFile(join(dir, path)))
      const data = Buffer.concat(buffers)
      return {
        modelTopology: json.modelTopology as object,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights) as tf.io.WeightsManifestEntry[],
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
        format: json.format ?? 'layers-model'
      }
    }
  }
}

export async function loadModelFile(modelJsonPath: string): Promise<tfl.LayersModel> {
  await ensureBackend()
  return tfl.loadLayersModel(fileModelHandler(modelJsonPath))
}

/**
 * Loads the model the way the app will (tfl.loadLayersModel, strict weight matching) and checks its
 * input and output shapes; throws ModelProblem with tfjs's reason when it does not load.
 */
export async function checkModelLoads(modelJsonPath: string, expected: { input: number[]; output: number[] }): Promise<void> {
  let model: tfl.LayersModel
  try {
    model = await loadModelFile(modelJsonPath)
  } catch (error) {
    if (error instanceof ModelProblem) throw error
    throw new ModelProblem(`TensorFlow.js cannot load it: ${(error as Error).message.split('\n')[0]}`)
  }
  try {
    const input = model.inputs[0]?.shape.slice(1)
    const output = model.outputs[0]?.shape.slice(1)
    if (model.inputs.length !== 1 || JSON.stringify(input) !== JSON.stringify(expected.input)) {
      throw new ModelProblem(`the model takes input [${input}], expected [${expected.input}]`)
    }
    if (model.outputs.length !== 1 || JSON.stringify(output) !== JSON.stringify(expected.output)) {
      throw new ModelProblem(`the model outputs [${output}], expected [${expected.output}]`)
    }
  } finally {
    model.dispose()
  }
}

/** The Keras-identical MobileNetV2 topology JSON (no weights), as TF.js layers serialises it. */
export async function mobileNetV2Topology(): Promise<{ topology: unknown; generatedBy: string }> {
  await ensureBackend()
  const model = buildMobileNetV2()
  try {
    return { topology: model.toJSON(null, false), generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}` }
  } finally {
    model.dispose()
  }
}
