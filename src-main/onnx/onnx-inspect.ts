// Reading and rewriting the parts of an .onnx file that an imported model needs, without decoding its
// weights: the graph's inputs (their names and shapes, for the input size) and metadata_props (to
// give an imported model Pictor's metadata when it is exported again). Both work on the protobuf
// wire format field by field, so fields our schema does not declare (functions, training info,
// anything a newer ONNX adds) pass through byte for byte.
import protobuf from 'protobufjs/light.js'
import { AppError } from '../core/errors'
import { ModelProto } from './onnx-schema'

const MODEL_GRAPH = 7
const MODEL_METADATA = 14
const GRAPH_INITIALIZER = 5
const GRAPH_INPUT = 11

const ValueInfoProto = ModelProto.lookupType('onnx.ValueInfoProto')
const StringStringEntryProto = ModelProto.lookupType('onnx.StringStringEntryProto')

export interface GraphInput {
  name: string
  /** ONNX TensorProto.DataType (1 = float32); 0 when unknown. */
  elemType: number
  /** Each dimension's size; null for a symbolic or unknown one (e.g. the batch). */
  dims: (number | null)[]
}

interface Field {
  field: number
  wireType: number
  /** The whole field as it is on the wire: tag and value. */
  start: number
  end: number
  /** For length-delimited fields, the value's bytes. */
  value: Uint8Array | null
}

function* fields(bytes: Uint8Array): Generator<Field> {
  const reader = protobuf.Reader.create(bytes)
  while (reader.pos < reader.len) {
    const start = reader.pos
    const tag = reader.uint32()
    const field = tag >>> 3
    const wireType = tag & 7
    if (field === 0) throw new Error('invalid field number 0')
    let value: Uint8Array | null = null
    if (wireType === 2) value = reader.bytes()
    else reader.skipType(wireType)
    yield { field, wireType, start, end: reader.pos, value }
  }
}

function notOnnx(error: unknown): AppError {
  return new AppError('INVALID_REQUEST', `not an ONNX model: ${(error as Error).message}`, { cause: error })
}

/** The graph's real inputs (initializers listed as inputs by old exporters are left out), in order. */
export function onnxGraphInputs(bytes: Uint8Array): GraphInput[] {
  try {
    let graph: Uint8Array | null = null
    for (const entry of fields(bytes)) if (entry.field === MODEL_GRAPH && entry.value) graph = entry.value
    if (!graph) throw new Error('it has no graph')
    const inputs: GraphInput[] = []
    const initializers = new Set<string>()
    for (const entry of fields(graph)) {
      if (entry.field === GRAPH_INPUT && entry.value) inputs.push(toGraphInput(entry.value))
      if (entry.field === GRAPH_INITIALIZER && entry.value) initializers.add(initializerName(entry.value))
    }
    return inputs.filter((input) => !initializers.has(input.name))
  } catch (error) {
    throw notOnnx(error)
  }
}

function toGraphInput(bytes: Uint8Array): GraphInput {
  const info = ValueInfoProto.toObject(ValueInfoProto.decode(bytes), { longs: Number, defaults: true }) as {
    name: string
    type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } }
  }
  const tensor = info.type?.tensorType
  const dims = (tensor?.shape?.dim ?? []).map((dim) => (typeof dim.dimValue === 'number' && dim.dimValue > 0 ? dim.dimValue : null))
  return { name: info.name, elemType: tensor?.elemType ?? 0, dims }
}

/** TensorProto.name (field 8) without decoding the tensor's data. */
function initializerName(bytes: Uint8Array): string {
  for (const entry of fields(bytes)) if (entry.field === 8 && entry.value) return new TextDecoder().decode(entry.value)
  return ''
}

/** The same model with its metadata_props replaced by `props`; every other byte kept as it was. */
export function withMetadataProps(bytes: Uint8Array, props: Record<string, string>): Uint8Array {
  const kept: Uint8Array[] = []
  try {
    for (const entry of fields(bytes)) if (entry.field !== MODEL_METADATA) kept.push(bytes.subarray(entry.start, entry.end))
  } catch (error) {
    throw notOnnx(error)
  }
  const writer = protobuf.Writer.create()
  for (const [key, value] of Object.entries(props)) {
    writer.uint32((MODEL_METADATA << 3) | 2).bytes(StringStringEntryProto.encode({ key, value }).finish())
  }
  const added = writer.finish()
  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0) + added.length)
  let offset = 0
  for (const part of kept) {
    out.set(part, offset)
    offset += part.length
  }
  out.set(added, offset)
  return out
}
