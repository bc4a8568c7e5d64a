import sharp from 'sharp'

/** 8-bit pixels as sharp hands them over. */
export interface RawImage {
  data: Buffer
  width: number
  height: number
  channels: 1 | 2 | 3 | 4
}

/**
 * A 64-bit difference hash (dHash): shrink to 9×8 grey, compare each pixel with its right
 * neighbour. Near-identical images (re-encoded, resized, slightly recoloured) differ in a few bits,
 * which is what later leakage checks between splits look for. Returned as 16 hex digits.
 */
export async function differenceHash(image: RawImage): Promise<string> {
  const grey = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .removeAlpha()
    .greyscale()
    .resize(9, 8, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer()
  let hash = 0n
  for (let row = 0; row < 8; row++) {
    for (let column = 0; column < 8; column++) {
      hash = (hash << 1n) | (grey[row * 9 + column]! > grey[row * 9 + column + 1]! ? 1n : 0n)
    }
  }
  return hash.toString(16).padStart(16, '0')
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
