// Reading and writing initializer values in ONNX's TensorProto encodings: raw little-endian bytes
// (what our exporter writes) or the typed repeated fields other exporters use.
import type { TensorMessage } from '../onnx-schema'

/** TensorProto.DataType values the quantizer reads or writes. */
export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const

/** A decoded TensorProto as decodeModel gives it (typed fields are present when raw_data is not). */
export type StoredTensor = TensorMessage & { floatData?: number[]; int64Data?: number[]; int32Data?: number[] }

function view(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
}

export function readFloats(tensor: StoredTensor): Float32Array {
  if (tensor.dataType !== TensorType.FLOAT) throw new Error(`initializer ${tensor.name} is not float32`)
  const raw = tensor.rawData
  if (raw && raw.length > 0) {
    const data = view(raw)
    return Float32Array.from({ length: raw.length / 4 }, (_, index) => data.getFloat32(index * 4, true))
  }
  return Float32Array.from(tensor.floatData ?? [])
}

export function readInt64s(tensor: StoredTensor): number[] {
  if (tensor.dataType !== TensorType.INT64) throw new Error(`initializer ${tensor.name} is not int64`)
  const raw = tensor.rawData
  if (raw && raw.length > 0) {
    const data = view(raw)
    return Array.from({ length: raw.length / 8 }, (_, index) => Number(data.getBigInt64(index * 8, true)))
  }
  return (tensor.int64Data ?? []).map(Number)
}

export function floatTensor(name: string, dims: number[], values: Float32Array): TensorMessage {
  const raw = new Uint8Array(values.length * 4)
  const data = view(raw)
  values.forEach((value, index) => data.setFloat32(index * 4, value, true))
  return { name, dims, dataType: TensorType.FLOAT, rawData: raw }
}

export function int32Tensor(name: string, dims: number[], values: Int32Array): TensorMessage {
  const raw = new Uint8Array(values.length * 4)
  const data = view(raw)
  values.forEach((value, index) => data.setInt32(index * 4, value, true))
  return { name, dims, dataType: TensorType.INT32, rawData: raw }
}

/** int8 or uint8 values, one byte each (no byte order to mind). */
export function byteTensor(name: string, dims: number[], values: Int8Array | Uint8Array, type: 'int8' | 'uint8'): TensorMessage {
  return { name, dims, dataType: type === 'int8' ? TensorType.INT8 : TensorType.UINT8, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) }
}
