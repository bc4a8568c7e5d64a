// TFRecord framing, the container format of TensorBoard event files
// (tensorflow/core/lib/io/record_writer.cc):
//   uint64 LE  length of data
//   uint32 LE  masked CRC-32C of those 8 length bytes
//   data       the serialized Event
//   uint32 LE  masked CRC-32C of data
// The length CRC lets a reader tell a torn header from a real one; TensorBoard stops at a record it
// cannot read whole and retries later, so a file cut by a kill is still read up to its last record.
import { maskedCrc32c } from './crc32c'

const HEADER_BYTES = 12
const FOOTER_BYTES = 4

/** One record: header, data and footer, ready to append to the file. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const record = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES)
  const view = new DataView(record.buffer)
  // Records stay far below 2^53 bytes, so one Number is exact; the high word is written for form.
  view.setUint32(0, data.length % 2 ** 32, true)
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true)
  view.setUint32(8, maskedCrc32c(record.subarray(0, 8)), true)
  record.set(data, HEADER_BYTES)
  view.setUint32(HEADER_BYTES + data.length, maskedCrc32c(data), true)
  return record
}
