// The protobuf messages TensorBoard reads from an event file, declared in code as a protobufjs
// reflection root. Field numbers and types are TensorFlow's (they are the wire format), checked
// against tensorflow/tensorboard's generated tensorboard/data/server/tensorboard.pb.rs, which is
// built from TensorFlow's event.proto, summary.proto, tensor.proto, tensor_shape.proto and
// types.proto. Messages and fields we never write (graphs, session logs, audio, ...) are left out.
//
// protobufjs reads a JSON descriptor with explicit presence (proto2 rules): a field that is set is
// written, even when it holds its default. TensorFlow's files are proto3, where defaults are never
// written, so the builders in summary-values.ts and event-file-writer.ts leave default values out
// themselves; the golden-bytes tests check the result byte for byte.
import protobuf from 'protobufjs/light.js'

/** tensorflow.DataType values we write (types.proto). */
export const DataType = { DT_FLOAT: 1, DT_DOUBLE: 2, DT_STRING: 7 } as const

/** tensorflow.DataClass (summary.proto): how TensorBoard's data layer stores a time series. */
export const DataClass = { SCALAR: 1, TENSOR: 2, BLOB_SEQUENCE: 3 } as const

const repeated = 'repeated'
const packed = { packed: true }

const descriptor: protobuf.INamespace = {
  nested: {
    tensorflow: {
      nested: {
        TensorShapeProto: {
          fields: { dim: { rule: repeated, type: 'Dim', id: 2 } },
          nested: {
            Dim: { fields: { size: { type: 'int64', id: 1 }, name: { type: 'string', id: 2 } } }
          }
        },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            tensorContent: { type: 'bytes', id: 4 },
            floatVal: { rule: repeated, type: 'float', id: 5, options: packed },
            doubleVal: { rule: repeated, type: 'double', id: 6, options: packed },
            stringVal: { rule: repeated, type: 'bytes', id: 8 }
          }
        },
        SummaryMetadata: {
          fields: {
            pluginData: { type: 'PluginData', id: 1 },
            displayName: { type: 'string', id: 2 },
            summaryDescription: { type: 'string', id: 3 },
            dataClass: { type: 'int32', id: 4 }
          },
          nested: {
            PluginData: {
              fields: { pluginName: { type: 'string', id: 1 }, content: { type: 'bytes', id: 2 } }
            }
          }
        },
        // The legacy (TF 1.x) value kinds, declared so that the oneof below is complete; we write
        // tensors, which today's TensorBoard plugins read, never these.
        HistogramProto: {
          fields: {
            min: { type: 'double', id: 1 },
            max: { type: 'double', id: 2 },
            num: { type: 'double', id: 3 },
            sum: { type: 'double', id: 4 },
            sumSquares: { type: 'double', id: 5 },
            bucketLimit: { rule: repeated, type: 'double', id: 6, options: packed },
            bucket: { rule: repeated, type: 'double', id: 7, options: packed }
          }
        },
        Summary: {
          fields: { value: { rule: repeated, type: 'Value', id: 1 } },
          nested: {
            Image: {
              fields: {
                height: { type: 'int32', id: 1 },
                width: { type: 'int32', id: 2 },
                colorspace: { type: 'int32', id: 3 },
                encodedImageString: { type: 'bytes', id: 4 }
              }
            },
            Value: {
              oneofs: { value: { oneof: ['simpleValue', 'image', 'histo', 'tensor'] } },
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                image: { type: 'Image', id: 4 },
                histo: { type: 'HistogramProto', id: 5 },
                tensor: { type: 'TensorProto', id: 8 },
                metadata: { type: 'SummaryMetadata', id: 9 }
              }
            }
          }
        },
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 }
          }
        }
      }
    }
  }
}

const root = protobuf.Root.fromJSON(descriptor)
const EventType = root.lookupType('tensorflow.Event')

// Plain-object shapes of the messages as the writer builds them. Optional fields are left out
// rather than set to their defaults (see the note at the top).

export interface TensorShapeMessage {
  dim?: { size?: number; name?: string }[]
}

export interface TensorMessage {
  dtype: number
  tensorShape: TensorShapeMessage
  tensorContent?: Uint8Array
  floatVal?: number[]
  doubleVal?: number[]
  stringVal?: Uint8Array[]
}

export interface SummaryMetadataMessage {
  pluginData: { pluginName: string; content?: Uint8Array }
  displayName?: string
  summaryDescription?: string
  dataClass?: number
}

export interface SummaryValueMessage {
  tag: string
  tensor: TensorMessage
  metadata: SummaryMetadataMessage
}

export interface EventMessage {
  wallTime?: number
  step?: number
  fileVersion?: string
  summary?: { value: SummaryValueMessage[] }
}

/** Serializes an Event, fields in field-number order as protobuf's C++ writer emits them. */
export function encodeEvent(event: EventMessage): Uint8Array {
  return EventType.encode(event).finish()
}
