// Walks a TF.js layers model's graph from its outputs back to its inputs and has each layer's
// converter emit ONNX nodes. Nested models (a Sequential or functional model used as a layer, as
// assembleClassifier does with the head) are flattened: their inner graph is walked in place.
import * as tfl from '@tensorflow/tfjs-layers'
import { AppError } from '../core/errors'
import { UnsupportedLayerError, type LayerConverter, type OnnxValue } from './converter-types'
import { coreConverters } from './core-converters'
import type { GraphBuilder } from './graph-builder'
import { spatialConverters } from './spatial-converters'

const CONVERTERS: Record<string, LayerConverter> = { ...spatialConverters, ...coreConverters }

/** The layer classes the exporter handles (nested models aside). */
export const SUPPORTED_LAYERS = ['InputLayer', ...Object.keys(CONVERTERS)].sort()

type Symbolic = tfl.SymbolicTensor

/**
 * Emits nodes computing `model`'s outputs from `inputs` (one ONNX value per model input, in
 * order) and returns the output values, followed by the values of `extra` (tensors inside the
 * model's graph, e.g. a hidden layer's output a server also wants). Throws AppError('UNSUPPORTED')
 * naming the first layer that cannot be converted.
 */
export function convertModel(graph: GraphBuilder, model: tfl.LayersModel, inputs: OnnxValue[], extra: readonly Symbolic[] = []): OnnxValue[] {
  if (inputs.length !== model.inputs.length) throw new Error(`${model.name} takes ${model.inputs.length} inputs, got ${inputs.length}`)
  // Keyed by symbolic tensor id: each Keras tensor is converted once however many layers read it.
  const values = new Map<number, OnnxValue>()
  model.inputs.forEach((tensor, index) => values.set(tensor.id, inputs[index]!))

  // Iterative post-order walk (no recursion limit on deep graphs).
  const resolve = (target: Symbolic): OnnxValue => {
    const stack: Symbolic[] = [target]
    while (stack.length > 0) {
      const tensor = stack[stack.length - 1]!
      if (values.has(tensor.id)) {
        stack.pop()
        continue
      }
      const layer = tensor.sourceLayer
      const node = layer.inboundNodes[tensor.nodeIndex]
      if (!node) throw new Error(`tensor ${tensor.name} has no producing node in ${layer.name}`)
      if (layer.getClassName() === 'InputLayer' || node.inputTensors.length === 0) {
        throw new AppError('UNSUPPORTED', `cannot export layer "${layer.name}" (${layer.getClassName()}) to ONNX: it is an input that is not one of the model's inputs`)
      }
      const pending = node.inputTensors.filter((input) => !values.has(input.id))
      if (pending.length > 0) {
        stack.push(...pending)
        continue
      }
      stack.pop()
      const outputs = convertLayer(
        graph,
        layer,
        node.inputTensors.map((input) => values.get(input.id)!),
        node.outputTensors
      )
      node.outputTensors.forEach((output, index) => values.set(output.id, outputs[index]!))
    }
    return values.get(target.id)!
  }
  return [...model.outputs, ...extra].map(resolve)
}

function convertLayer(graph: GraphBuilder, layer: tfl.layers.Layer, inputs: OnnxValue[], outputs: Symbolic[]): OnnxValue[] {
  if (isNestedModel(layer)) return convertModel(graph, layer, inputs)
  const className = layer.getClassName()
  const fail = (reason: string, cause?: unknown): never => {
    throw new AppError('UNSUPPORTED', `cannot export layer "${layer.name}" (${className}) to ONNX: ${reason}`, { cause })
  }
  const converter = CONVERTERS[className]
  if (!converter) return fail(`${className} layers are not supported (supported: ${SUPPORTED_LAYERS.join(', ')})`)
  let names: string[]
  try {
    names = converter({
      graph,
      layer,
      config: layer.getConfig() as Record<string, unknown>,
      inputs,
      outputShapes: outputs.map((output) => output.shape)
    })
  } catch (error) {
    if (error instanceof UnsupportedLayerError) return fail(error.message, error)
    throw error
  }
  if (names.length !== outputs.length) throw new Error(`converter for ${className} gave ${names.length} outputs, the layer has ${outputs.length}`)
  return names.map((name, index) => ({ name, shape: outputs[index]!.shape }))
}

function isNestedModel(layer: tfl.layers.Layer): layer is tfl.LayersModel {
  return layer instanceof tfl.LayersModel
}
