// Collects an ONNX graph while the layer converters walk a model: nodes in topological order,
// initializers as raw little-endian bytes, and names made unique (Keras layer names may repeat
// across nested models, and one layer can emit several nodes).
import {
  AttributeType,
  DataType,
  type AttributeMessage,
  type Dimension,
  type GraphMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage
} from './onnx-schema'

export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] }

/** A float32 initializer kept as numbers until the end, so graph passes (batch-norm folding) can edit it. */
export interface FloatInitializer {
  name: string
  dims: number[]
  values: Float32Array
}

export class GraphBuilder {
  readonly nodes: NodeMessage[] = []
  readonly floats = new Map<string, FloatInitializer>()
  private readonly int64s = new Map<string, { dims: number[]; values: BigInt64Array }>()
  private readonly used = new Set<string>()
  private readonly scalars = new Map<number, string>()

  /** `base`, or `base_1`, `base_2`, ... : the first name not given out yet. */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'value'
    let name = clean
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`
    this.used.add(name)
    return name
  }

  /** Reserves names the graph's interface uses (input, output) so nothing else takes them. */
  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`ONNX name ${name} is already taken`)
    this.used.add(name)
  }

  /** Adds a node and returns the names of its outputs (unique, derived from the node's name). */
  node(opType: string, inputs: string[], name: string, attributes: Record<string, AttributeValue> = {}, outputCount = 1, outputNames?: string[]): string[] {
    const nodeName = this.uniqueName(name)
    const outputs = outputNames ?? Array.from({ length: outputCount }, (_, index) => this.uniqueName(outputCount === 1 ? `${nodeName}_out` : `${nodeName}_out${index}`))
    this.nodes.push({
      name: nodeName,
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value))
    })
    return outputs
  }

  /** One-output shorthand for node(). */
  op(opType: string, inputs: string[], name: string, attributes: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, name, attributes)[0]!
  }

  floatInitializer(name: string, dims: number[], values: Float32Array): string {
    const size = dims.reduce((product, side) => product * side, 1)
    if (size !== values.length) throw new Error(`initializer ${name}: ${values.length} values for shape [${dims}]`)
    const unique = this.uniqueName(name)
    this.floats.set(unique, { name: unique, dims, values })
    return unique
  }

  int64Initializer(name: string, values: number[]): string {
    const unique = this.uniqueName(name)
    this.int64s.set(unique, { dims: [values.length], values: BigInt64Array.from(values.map((value) => BigInt(value))) })
    return unique
  }

  /** A float scalar (rank 0), e.g. Clip's bounds. */
  scalar(name: string, value: number): string {
    const unique = this.uniqueName(name)
    this.floats.set(unique, { name: unique, dims: [], values: Float32Array.of(value) })
    return unique
  }

  /** One float scalar initializer per distinct value, shared by every node that needs it. */
  sharedScalar(value: number): string {
    const existing = this.scalars.get(value)
    if (existing) return existing
    const name = this.scalar(`const_${String(value).replace(/[^0-9a-z]/gi, '_')}`, value)
    this.scalars.set(value, name)
    return name
  }

  /** How many nodes read each value (graph outputs count as readers). */
  consumers(graphOutputs: readonly string[]): Map<string, number> {
    const counts = new Map<string, number>()
    const count = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1)
    for (const node of this.nodes) node.input.forEach(count)
    graphOutputs.forEach(count)
    return counts
  }

  /** Drops initializers no node reads any more (after folding). */
  pruneInitializers(): void {
    const read = new Set(this.nodes.flatMap((node) => node.input))
    for (const name of [...this.floats.keys()]) if (!read.has(name)) this.floats.delete(name)
    for (const name of [...this.int64s.keys()]) if (!read.has(name)) this.int64s.delete(name)
  }

  build(name: string, input: ValueInfoMessage[], output: ValueInfoMessage[], docString?: string): GraphMessage {
    const initializer: TensorMessage[] = []
    for (const { name: tensorName, dims, values } of this.floats.values()) {
      initializer.push({ name: tensorName, dims, dataType: DataType.FLOAT, rawData: littleEndianBytes(values) })
    }
    for (const [tensorName, { dims, values }] of this.int64s) {
      initializer.push({ name: tensorName, dims, dataType: DataType.INT64, rawData: littleEndianBytes(values) })
    }
    return { name, node: this.nodes, initializer, input, output, ...(docString ? { docString } : {}) }
  }
}

/**
 * A float32 tensor value info. Unknown sizes become symbolic: 'N' for the batch (axis 0, shared by
 * input and output), a name of their own elsewhere, since equal names tell the runtime the sizes are equal.
 */
export function floatValueInfo(name: string, shape: readonly (number | null)[], docString?: string): ValueInfoMessage {
  const dim: Dimension[] = shape.map((side, axis) => (side !== null ? { dimValue: side } : { dimParam: axis === 0 ? 'N' : `${name}_dim${axis}` }))
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim } } }, ...(docString ? { docString } : {}) }
}

function attribute(name: string, value: AttributeValue): AttributeMessage {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer (use { float })`)
    return { name, type: AttributeType.INT, i: value }
  }
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float }
  return { name, type: AttributeType.FLOATS, floats: value.floats }
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** ONNX raw_data is little-endian; typed arrays use the platform's order, which may not be. */
function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength))
  const bytes = new Uint8Array(values.byteLength)
  const view = new DataView(bytes.buffer)
  if (values instanceof Float32Array) values.forEach((value, index) => view.setFloat32(index * 4, value, true))
  else values.forEach((value, index) => view.setBigInt64(index * 8, value, true))
  return bytes
}
