// How TensorFlow 2's tf.summary writes each kind of value, so that TensorBoard's current plugins
// read ours as their own: every value is a tensor (TF 1.x's simple_value / image / histo are
// legacy), tagged with plugin metadata. The C++ writer (SummaryFileWriter::WriteTensor) stores
// numeric tensors as little-endian tensor_content and string tensors as string_val.
//
// Plugin names and data classes follow tensorflow/tensorboard: plugins/*/metadata.py set the
// plugin name with empty content (each plugin's PluginData proto at version 0 serializes to no
// bytes), and dataclass_compat.py says which data class TensorBoard assigns when a writer leaves it
// out: scalars SCALAR, text and histograms TENSOR, images BLOB_SEQUENCE. We set it ourselves, as
// TensorBoard's own summary_v2 code does, so nothing depends on that migration.
import {
  DataClass,
  DataType,
  type SummaryMetadataMessage,
  type SummaryValueMessage,
  type TensorMessage
} from './event-proto'

/** tf.summary.histogram's default bucket count (tensorboard/plugins/histogram/summary_v2.py). */
export const HISTOGRAM_BUCKETS = 30

const utf8 = new TextEncoder()

function metadata(pluginName: string, dataClass: number): SummaryMetadataMessage {
  return { pluginData: { pluginName }, dataClass }
}

/** A rank-0 float32 tensor: what the scalars plugin and TensorBoard's data server accept. */
export function scalarValue(tag: string, value: number): SummaryValueMessage {
  const content = new Uint8Array(4)
  new DataView(content.buffer).setFloat32(0, value, true)
  // The empty tensor_shape is written (as TensorFlow does): a present shape with no dims is rank 0.
  const tensor: TensorMessage = { dtype: DataType.DT_FLOAT, tensorShape: {}, tensorContent: content }
  return { tag, tensor, metadata: metadata('scalars', DataClass.SCALAR) }
}

/** A rank-0 string tensor holding Markdown, as tf.summary.text writes a single string. */
export function textValue(tag: string, markdown: string): SummaryValueMessage {
  const tensor: TensorMessage = { dtype: DataType.DT_STRING, tensorShape: {}, stringVal: [utf8.encode(markdown)] }
  return { tag, tensor, metadata: metadata('text', DataClass.TENSOR) }
}

/**
 * tf.summary.image's layout: a rank-1 string tensor [width, height, encoded image...], the
 * dimensions as decimal strings. One image per step here, so the shape is [3].
 */
export function imageValue(tag: string, png: Uint8Array, width: number, height: number): SummaryValueMessage {
  const tensor: TensorMessage = {
    dtype: DataType.DT_STRING,
    tensorShape: { dim: [{ size: 3 }] },
    stringVal: [utf8.encode(String(width)), utf8.encode(String(height)), png]
  }
  return { tag, tensor, metadata: metadata('images', DataClass.BLOB_SEQUENCE) }
}

/** A float64 [k, 3] tensor of (left edge, right edge, count) rows, from histogramBuckets. */
export function histogramValue(tag: string, values: ArrayLike<number>): SummaryValueMessage {
  const buckets = histogramBuckets(values)
  const content = new Uint8Array(buckets.length * 3 * 8)
  const view = new DataView(content.buffer)
  buckets.forEach((bucket, row) => bucket.forEach((x, column) => view.setFloat64((row * 3 + column) * 8, x, true)))
  const tensor: TensorMessage = {
    dtype: DataType.DT_DOUBLE,
    // A dimension of size 0 is an empty Dim message: proto3 leaves the default size out.
    tensorShape: { dim: [buckets.length === 0 ? {} : { size: buckets.length }, { size: 3 }] },
    ...(content.length > 0 ? { tensorContent: content } : {})
  }
  return { tag, tensor, metadata: metadata('histograms', DataClass.TENSOR) }
}

/**
 * Buckets like tf.summary.histogram (summary_v2.py `_buckets`): HISTOGRAM_BUCKETS equal-width
 * buckets from min to max, a value's bucket floor((v - min) / width) clamped to the last, and the
 * last right edge exactly max. No data: no buckets (shape [0, 3]). One distinct value v: one
 * bucket [v - 0.5, v + 0.5] holding everything. Non-finite values are left out: TensorFlow would
 * turn the whole histogram into NaNs, which TensorBoard cannot draw, and one diverged weight
 * should not hide the rest.
 */
export function histogramBuckets(values: ArrayLike<number>): [number, number, number][] {
  const finite: number[] = []
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]!)
  if (finite.length === 0) return []
  let min = Infinity
  let max = -Infinity
  for (const v of finite) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const range = max - min
  if (range === 0) return [[min - 0.5, min + 0.5, finite.length]]
  const width = range / HISTOGRAM_BUCKETS
  const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0)
  for (const v of finite) counts[Math.min(Math.floor((v - min) / width), HISTOGRAM_BUCKETS - 1)]! += 1
  const edge = (i: number) => (i === HISTOGRAM_BUCKETS ? max : min + i * width)
  return counts.map((count, i) => [edge(i), edge(i + 1), count])
}
