// CRC-32C (Castagnoli), the checksum TFRecord files carry, and the "masked" form TensorFlow stores.
// Node has no CRC-32C (zlib's crc32 uses a different polynomial), and a table-driven loop is fast
// enough for event files: a few records per epoch, the largest an image of some hundred kilobytes.

/** The reflected Castagnoli polynomial (0x1EDC6F41 bit-reversed). */
const POLY = 0x82f63b78

/** TensorFlow's and LevelDB's mask constant (tensorflow/core/lib/hash/crc32c.h, kMaskDelta). */
const MASK_DELTA = 0xa282ead8

/** One entry per byte value: the CRC of that byte alone, so the loop below does a byte per step. */
const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLY : crc >>> 1
    table[byte] = crc >>> 0
  }
  return table
})()

/** The CRC-32C of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * The CRC as TFRecord stores it: rotated right by 15 bits plus a constant, because "it is
 * problematic to compute the CRC of a string that contains embedded CRCs" (LevelDB's reason, which
 * TensorFlow took over). Unsigned 32-bit.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes)
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0
}
