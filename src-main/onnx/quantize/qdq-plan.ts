// Which parts of a float graph get quantized, decided on its structure alone (before calibration):
// every Conv whose weights are initializers and every Add of two activations, their activation
// inputs, and their outputs, taken after a following ReLU/ReLU6 when that is the output's only
// reader. That last choice is what lets ONNX Runtime fuse: Conv → Clip → QuantizeLinear loses the
// Clip (its range is inside the quantized one) and DequantizeLinear → Conv → QuantizeLinear becomes
// one QLinearConv. Everything else (pooling, the dense head, softmax) stays float.
import type { ModelMessage, NodeMessage } from '../onnx-schema'
import { readInt64s, type StoredTensor } from './tensors'

export interface QdqPlan {
  /** Convs to run in int8 (weights per channel, bias int32). */
  convs: NodeMessage[]
  /** Activation tensors that get a QuantizeLinear → DequantizeLinear pair, in graph order. */
  activations: string[]
}

const ACTIVATIONS = new Set(['Relu', 'Clip'])

/** `keepFloat`: names of convs left in float32 (sensitive layers); their neighbours are still quantized. */
export function planQdq(model: ModelMessage, keepFloat: ReadonlySet<string> = new Set()): QdqPlan {
  const graph = model.graph
  const initializers = new Set(graph.initializer.map((tensor) => tensor.name))
  const readers = readersOf(graph.node)
  const outputs = new Set(graph.output.map((output) => output.name))
  const convs = graph.node.filter((node) => node.opType === 'Conv' && initializers.has(node.input[1]!) && !keepFloat.has(node.name))
  const adds = graph.node.filter((node) => node.opType === 'Add' && node.input.every((name) => !initializers.has(name)))
  const chosen = new Set<string>()
  for (const node of [...convs, ...adds]) {
    for (const name of node.opType === 'Conv' ? [node.input[0]!] : node.input) chosen.add(name)
    let output = node.output[0]!
    const after = readers.get(output) ?? []
    if (after.length === 1 && ACTIVATIONS.has(after[0]!.opType) && !outputs.has(output)) output = after[0]!.output[0]!
    chosen.add(output)
  }
  const order = [...graph.input.map((input) => input.name), ...graph.node.flatMap((node) => node.output)]
  return { convs, activations: order.filter((name) => chosen.has(name)) }
}

export function readersOf(nodes: readonly NodeMessage[]): Map<string, NodeMessage[]> {
  const readers = new Map<string, NodeMessage[]>()
  for (const node of nodes) for (const name of node.input) readers.set(name, [...(readers.get(name) ?? []), node])
  return readers
}

/**
 * Folds each zero-constant Pad (Keras's ZeroPadding2D before a stride-2 conv) into the Conv that
 * alone reads it, in place. A Pad between the quantized activation and its Conv would keep them
 * from fusing; as Conv pads it costs nothing. Returns how many it folded.
 */
export function foldPadsIntoConvs(model: ModelMessage): number {
  const graph = model.graph
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor as StoredTensor]))
  const readers = readersOf(graph.node)
  const outputs = new Set(graph.output.map((output) => output.name))
  const removed = new Set<NodeMessage>()
  for (const pad of graph.node) {
    if (pad.opType !== 'Pad' || pad.input.length !== 2 || outputs.has(pad.output[0]!)) continue
    const mode = pad.attribute.find((attribute) => attribute.name === 'mode')?.s
    if (mode && new TextDecoder().decode(mode) !== 'constant') continue
    const padsTensor = initializers.get(pad.input[1]!)
    const conv = readers.get(pad.output[0]!)
    if (!padsTensor || conv?.length !== 1 || conv[0]!.opType !== 'Conv') continue
    const pads = readInt64s(padsTensor)
    // NCHW: [n, c, top, left, n, c, bottom, right]; only spatial padding folds.
    if (pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5]) continue
    const target = conv[0]!
    const autoPad = target.attribute.find((attribute) => attribute.name === 'auto_pad')?.s
    if (autoPad && new TextDecoder().decode(autoPad) !== 'NOTSET') continue
    let convPads = target.attribute.find((attribute) => attribute.name === 'pads')
    if (!convPads) {
      convPads = { name: 'pads', type: 7, ints: [0, 0, 0, 0] }
      target.attribute.push(convPads)
    }
    const [top, left, bottom, right] = (convPads.ints ?? []).map(Number)
    convPads.ints = [top! + pads[2]!, left! + pads[3]!, bottom! + pads[6]!, right! + pads[7]!]
    target.input[0] = pad.input[0]!
    removed.add(pad)
  }
  graph.node = graph.node.filter((node) => !removed.has(node))
  const read = new Set(graph.node.flatMap((node) => node.input))
  graph.initializer = graph.initializer.filter((tensor) => read.has(tensor.name))
  return removed.size
}
