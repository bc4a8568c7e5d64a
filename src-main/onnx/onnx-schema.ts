// The part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) that the exporter writes and the
// metadata reader reads, declared in code as a protobufjs reflection root. Field numbers and types
// follow the ONNX spec exactly (they are the wire format; test/unit/onnx/onnx-schema-descriptors.test.ts
// checks each against the installed onnx package); messages and fields we never write
// (training info, functions, sparse tensors, sequence/map types) are left out, which protobuf
// decoding tolerates: unknown fields are skipped. Names are the spec's, camel-cased as protobufjs
// does for .proto files.
import protobuf from 'protobufjs/light.js'

/** TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8
} as const

const repeated = 'repeated'
// onnx.proto is proto2: a repeated number is packed only where it says so (TensorProto's *_data).
// protobufjs packs every repeated number unless told not to; we write what onnx itself writes.
const unpacked = { packed: false }

const descriptor: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } }
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } }
        },
        TensorShapeProto: {
          fields: { dim: { rule: repeated, type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 }
              }
            }
          }
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            denotation: { type: 'string', id: 6 }
          },
          nested: {
            Tensor: {
              fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } }
            }
          }
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 }
          }
        },
        TensorProto: {
          fields: {
            dims: { rule: repeated, type: 'int64', id: 1, options: unpacked },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: repeated, type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: repeated, type: 'int32', id: 5, options: { packed: true } },
            stringData: { rule: repeated, type: 'bytes', id: 6 },
            int64Data: { rule: repeated, type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: repeated, type: 'double', id: 10, options: { packed: true } },
            uint64Data: { rule: repeated, type: 'uint64', id: 11, options: { packed: true } },
            docString: { type: 'string', id: 12 }
          }
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: repeated, type: 'float', id: 7, options: unpacked },
            ints: { rule: repeated, type: 'int64', id: 8, options: unpacked },
            strings: { rule: repeated, type: 'bytes', id: 9 },
            tensors: { rule: repeated, type: 'TensorProto', id: 10 },
            graphs: { rule: repeated, type: 'GraphProto', id: 11 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
            refAttrName: { type: 'string', id: 21 }
          }
        },
        NodeProto: {
          fields: {
            input: { rule: repeated, type: 'string', id: 1 },
            output: { rule: repeated, type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: repeated, type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 }
          }
        },
        GraphProto: {
          fields: {
            node: { rule: repeated, type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: repeated, type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: repeated, type: 'ValueInfoProto', id: 11 },
            output: { rule: repeated, type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: repeated, type: 'ValueInfoProto', id: 13 }
          }
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: repeated, type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: repeated, type: 'StringStringEntryProto', id: 14 }
          }
        }
      }
    }
  }
}

const root = protobuf.Root.fromJSON(descriptor)

/** onnx.ModelProto: encode with `ModelProto.encode(ModelProto.fromObject(model)).finish()`. */
export const ModelProto = root.lookupType('onnx.ModelProto')

// Plain-object shapes of the messages as the exporter builds them (camel-cased field names).

export interface StringStringEntry {
  key: string
  value: string
}

export interface TensorMessage {
  name: string
  dims: number[]
  dataType: number
  rawData: Uint8Array
}

export interface AttributeMessage {
  name: string
  type: number
  f?: number
  i?: number
  s?: Uint8Array
  floats?: number[]
  ints?: number[]
}

export interface NodeMessage {
  name: string
  opType: string
  input: string[]
  output: string[]
  attribute: AttributeMessage[]
  domain?: string
}

/** A dimension is a number or a symbolic name (e.g. the batch dimension). */
export type Dimension = { dimValue: number } | { dimParam: string }

export interface ValueInfoMessage {
  name: string
  type: { tensorType: { elemType: number; shape: { dim: Dimension[] } } }
  docString?: string
}

export interface GraphMessage {
  name: string
  node: NodeMessage[]
  initializer: TensorMessage[]
  input: ValueInfoMessage[]
  output: ValueInfoMessage[]
  valueInfo?: ValueInfoMessage[]
  docString?: string
}

export interface ModelMessage {
  irVersion: number
  producerName: string
  producerVersion: string
  docString?: string
  graph: GraphMessage
  opsetImport: { domain: string; version: number }[]
  metadataProps: StringStringEntry[]
}

export function encodeModel(model: ModelMessage): Uint8Array {
  const message = ModelProto.fromObject(model as unknown as Record<string, unknown>)
  return ModelProto.encode(message).finish()
}

const StringStringEntryProto = root.lookupType('onnx.StringStringEntryProto')
const MODEL_GRAPH_FIELD = 7
const MODEL_METADATA_FIELD = 14

/**
 * ModelProto.metadata_props without decoding the rest: walks the top-level fields and skips the
 * graph (megabytes of weights) unread. Throws if the bytes are not protobuf or hold no graph.
 */
export function decodeModelMetadata(bytes: Uint8Array): StringStringEntry[] {
  const reader = protobuf.Reader.create(bytes)
  const entries: StringStringEntry[] = []
  let hasGraph = false
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    const field = tag >>> 3
    if (field === 0) throw new Error('invalid field number 0')
    if (field === MODEL_METADATA_FIELD && (tag & 7) === 2) {
      const entry = StringStringEntryProto.toObject(StringStringEntryProto.decode(reader.bytes()), { defaults: true })
      entries.push({ key: entry.key as string, value: entry.value as string })
      continue
    }
    if (field === MODEL_GRAPH_FIELD) hasGraph = true
    reader.skipType(tag & 7)
  }
  if (!hasGraph) throw new Error('it has no graph')
  return entries
}

/** Decodes a whole .onnx file; int64 fields come back as numbers, bytes as Uint8Array. */
export function decodeModel(bytes: Uint8Array): ModelMessage {
  const message = ModelProto.decode(bytes)
  return ModelProto.toObject(message, { longs: Number, arrays: true }) as unknown as ModelMessage
}
