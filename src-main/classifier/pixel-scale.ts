// Every model input here is 8-bit pixels mapped through a per-byte table: exact (the same float for
// the same byte everywhere) and cheaper than arithmetic per value. Each model's formula is written
// once, where the model is; this module only builds and applies tables.

/** The 256 float inputs a model takes for byte values 0–255. */
export function byteTable(formula: (byte: number) => number): Float32Array {
  return Float32Array.from({ length: 256 }, (_, byte) => formula(byte))
}

/** The seed CNN's input: byte / 255, in [0, 1]. */
export const UNIT_SCALE = byteTable((byte) => byte / 255)

/** Pixels → floats through `table`, into `out` at `offset` when given (a batch buffer), else a new array. */
export function applyByteTable(pixels: Uint8Array, table: Float32Array, out?: Float32Array, offset = 0): Float32Array {
  const target = out ?? new Float32Array(pixels.length)
  for (let i = 0, o = offset; i < pixels.length; i++, o++) target[o] = table[pixels[i]!]!
  return target
}
