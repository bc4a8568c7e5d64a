/** 8-bit pixels as sharp hands them over. */
export interface RawImage {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 2 | 3 | 4
}

/**
 * A 64-bit difference hash (dHash): shrink to 9×8 grey by area averaging, compare each cell with
 * its right neighbour. Near-identical images (re-encoded, resized, slightly recoloured) differ in a
 * few bits, which is what later leakage checks between splits look for. Computed in JavaScript from
 * the thumbnail-sized pixels the import already has: a separate sharp pipeline cost more than the
 * decode itself for small images. Returned as 16 hex digits.
 */
export function differenceHash(image: RawImage): string {
  const grey = shrinkToGrey(image, 9, 8)
  let high = 0
  let low = 0
  for (let bit = 0; bit < 64; bit++) {
    const row = bit >> 3
    const column = bit & 7
    const set = grey[row * 9 + column]! > grey[row * 9 + column + 1]! ? 1 : 0
    // Two 32-bit halves: bitwise operators in JavaScript stop at 32 bits.
    if (bit < 32) high = ((high << 1) | set) >>> 0
    else low = ((low << 1) | set) >>> 0
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0')
}

/** Mean luma (BT.601) of each cell of a cols×rows grid laid over the image. */
function shrinkToGrey(image: RawImage, cols: number, rows: number): Float64Array {
  const { data, width, height, channels } = image
  const colour = channels >= 3
  const out = new Float64Array(cols * rows)
  for (let row = 0; row < rows; row++) {
    const y0 = Math.floor((row * height) / rows)
    const y1 = Math.max(y0 + 1, Math.floor(((row + 1) * height) / rows))
    for (let column = 0; column < cols; column++) {
      const x0 = Math.floor((column * width) / cols)
      const x1 = Math.max(x0 + 1, Math.floor(((column + 1) * width) / cols))
      let sum = 0
      for (let y = y0; y < y1; y++) {
        let offset = (y * width + x0) * channels
        for (let x = x0; x < x1; x++, offset += channels) {
          sum += colour ? 0.299 * data[offset]! + 0.587 * data[offset + 1]! + 0.114 * data[offset + 2]! : data[offset]!
        }
      }
      out[row * cols + column] = sum / ((y1 - y0) * (x1 - x0))
    }
  }
  return out
}

/** Bits that differ between two hashes: 0 for the same picture, ≤ ~10 for near-duplicates. */
export function hammingDistance(a: string, b: string): number {
  let difference = BigInt(`0x${a}`) ^ BigInt(`0x${b}`)
  let bits = 0
  while (difference > 0n) {
    bits += Number(difference & 1n)
    difference >>= 1n
  }
  return bits
}
