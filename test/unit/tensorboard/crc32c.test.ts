import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { crc32c, maskedCrc32c } from '../../../src-main/tensorboard/crc32c'
import { bitwiseCrc32c, masked } from './event-reader'

const ascii = (text: string) => new TextEncoder().encode(text)

describe('crc32c', () => {
  it('gives the published check values', () => {
    // The CRC catalogue's check value for CRC-32C ("123456789").
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283)
    // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros, then of 0xFF.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('agrees with the tests own bitwise CRC on random data of every small length', () => {
    for (let length = 0; length < 300; length += 7) {
      const bytes = randomBytes(length)
      expect(crc32c(bytes)).toBe(bitwiseCrc32c(bytes))
    }
  })

  it('masks like TensorFlow (checksum taken from a real event file, in TensorBoard masked_crc.rs)', () => {
    // tf.compat.v1.Event(file_version=b"CRC test, one two") serialized: 1a 11 "CRC test, one two".
    const record = ascii('\x1a\x11CRC test, one two')
    expect(maskedCrc32c(record)).toBe(0x5794d08a)
    expect(maskedCrc32c(new Uint8Array(32))).toBe(masked(0x8a9136aa))
  })
})
