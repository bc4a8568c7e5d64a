// An event-file reader written for the tests alone, from the format's description and not from the
// writer's code: its own bitwise CRC-32C, its own protobuf wire decoder. If the writer and this
// reader agree, the writer is right or both misread the spec the same way; the golden-bytes tests
// (taken from TensorBoard's own test suite and derived by hand) close that gap.
// It must not import from src-main/tensorboard.

/** CRC-32C, one bit at a time (RFC 3720 appendix B.4's definition, reflected poly 0x82F63B78). */
export function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

export function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

export interface RecordsRead {
  records: Uint8Array[]
  /** Bytes after the last complete record (a record cut by a kill); null when the file ends cleanly. */
  partialTail: { offset: number; bytes: number } | null
}

/** Splits a TFRecord file; throws on a bad CRC (corruption), reports a cut last record. */
export function readRecords(file: Uint8Array): RecordsRead {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const records: Uint8Array[] = []
  let offset = 0
  while (offset < file.length) {
    if (file.length - offset < 12) return { records, partialTail: { offset, bytes: file.length - offset } }
    const low = view.getUint32(offset, true)
    const high = view.getUint32(offset + 4, true)
    const lengthCrc = view.getUint32(offset + 8, true)
    if (masked(bitwiseCrc32c(file.subarray(offset, offset + 8))) !== lengthCrc) {
      throw new Error(`record at ${offset}: length CRC mismatch`)
    }
    const length = high * 2 ** 32 + low
    if (file.length - offset < 12 + length + 4) {
      return { records, partialTail: { offset, bytes: file.length - offset } }
    }
    const data = file.subarray(offset + 12, offset + 12 + length)
    const dataCrc = view.getUint32(offset + 12 + length, true)
    if (masked(bitwiseCrc32c(data)) !== dataCrc) throw new Error(`record at ${offset}: data CRC mismatch`)
    records.push(data)
    offset += 12 + length + 4
  }
  return { records, partialTail: null }
}

// ---- protobuf wire format ----

type Field = { number: number } & (
  | { wire: 0; varint: bigint }
  | { wire: 1; bytes: Uint8Array } // fixed64
  | { wire: 2; bytes: Uint8Array } // length-delimited
  | { wire: 5; bytes: Uint8Array } // fixed32
)

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n
  let shift = 0n
  for (let i = at; i < bytes.length; i++) {
    value |= BigInt(bytes[i]! & 0x7f) << shift
    if ((bytes[i]! & 0x80) === 0) return [value, i + 1]
    shift += 7n
  }
  throw new Error('varint runs past the end')
}

/** All fields of one message, in file order; checks that field numbers never go down. */
export function decodeFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = []
  let at = 0
  while (at < bytes.length) {
    const [key, next] = readVarint(bytes, at)
    at = next
    const number = Number(key >> 3n)
    const wire = Number(key & 7n)
    const last = fields[fields.length - 1]
    if (last && last.number > number) throw new Error(`field ${number} after field ${last.number}`)
    if (wire === 0) {
      const [varint, after] = readVarint(bytes, at)
      fields.push({ number, wire, varint })
      at = after
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4
      if (at + size > bytes.length) throw new Error('fixed field runs past the end')
      fields.push({ number, wire, bytes: bytes.subarray(at, at + size) })
      at += size
    } else if (wire === 2) {
      const [length, after] = readVarint(bytes, at)
      const end = after + Number(length)
      if (end > bytes.length) throw new Error('length-delimited field runs past the end')
      fields.push({ number, wire, bytes: bytes.subarray(after, end) })
      at = end
    } else {
      throw new Error(`wire type ${wire} is not used by these messages`)
    }
  }
  return fields
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength)

function one(fields: Field[], number: number): Field | undefined {
  const matches = fields.filter((f) => f.number === number)
  if (matches.length > 1) throw new Error(`field ${number} appears ${matches.length} times`)
  return matches[0]
}

function bytesOf(field: Field | undefined): Uint8Array | undefined {
  if (!field) return undefined
  if (field.wire !== 2) throw new Error(`field ${field.number}: expected length-delimited`)
  return field.bytes
}

function varintOf(field: Field | undefined): bigint | undefined {
  if (!field) return undefined
  if (field.wire !== 0) throw new Error(`field ${field.number}: expected varint`)
  return field.varint
}

/** Signed int64 from its two's-complement varint. */
function int64(value: bigint): number {
  return Number(BigInt.asIntN(64, value))
}

function packedDoubles(fields: Field[], number: number): number[] {
  const out: number[] = []
  for (const field of fields.filter((f) => f.number === number)) {
    if (field.wire === 1) out.push(view(field.bytes).getFloat64(0, true))
    else if (field.wire === 2) for (let i = 0; i < field.bytes.length; i += 8) out.push(view(field.bytes).getFloat64(i, true))
  }
  return out
}

function packedFloats(fields: Field[], number: number): number[] {
  const out: number[] = []
  for (const field of fields.filter((f) => f.number === number)) {
    if (field.wire === 5) out.push(view(field.bytes).getFloat32(0, true))
    else if (field.wire === 2) for (let i = 0; i < field.bytes.length; i += 4) out.push(view(field.bytes).getFloat32(i, true))
  }
  return out
}

export interface DecodedTensor {
  dtype: number
  /** undefined when tensor_shape is absent; [] when present and empty (rank 0). */
  shape: number[] | undefined
  tensorContent: Uint8Array | undefined
  floatVal: number[]
  doubleVal: number[]
  stringVal: Uint8Array[]
}

export interface DecodedMetadata {
  pluginName: string
  content: Uint8Array
  displayName: string
  dataClass: number
}

export interface DecodedValue {
  tag: string
  simpleValue: number | undefined
  tensor: DecodedTensor | undefined
  metadata: DecodedMetadata | undefined
}

export interface DecodedEvent {
  wallTime: number
  step: number
  fileVersion: string | undefined
  values: DecodedValue[]
}

function decodeTensor(bytes: Uint8Array): DecodedTensor {
  const fields = decodeFields(bytes)
  const shapeBytes = bytesOf(one(fields, 2))
  const shape = shapeBytes
    ? decodeFields(shapeBytes)
        .filter((f) => f.number === 2)
        .map((dim) => int64(varintOf(one(decodeFields(bytesOf(dim)!), 1)) ?? 0n))
    : undefined
  return {
    dtype: Number(varintOf(one(fields, 1)) ?? 0n),
    shape,
    tensorContent: bytesOf(one(fields, 4)),
    floatVal: packedFloats(fields, 5),
    doubleVal: packedDoubles(fields, 6),
    stringVal: fields.filter((f) => f.number === 8).map((f) => bytesOf(f)!)
  }
}

function decodeMetadata(bytes: Uint8Array): DecodedMetadata {
  const fields = decodeFields(bytes)
  const plugin = decodeFields(bytesOf(one(fields, 1)) ?? new Uint8Array())
  return {
    pluginName: utf8.decode(bytesOf(one(plugin, 1)) ?? new Uint8Array()),
    content: bytesOf(one(plugin, 2)) ?? new Uint8Array(),
    displayName: utf8.decode(bytesOf(one(fields, 2)) ?? new Uint8Array()),
    dataClass: Number(varintOf(one(fields, 4)) ?? 0n)
  }
}

function decodeValue(bytes: Uint8Array): DecodedValue {
  const fields = decodeFields(bytes)
  const simple = one(fields, 2)
  const tensor = bytesOf(one(fields, 8))
  const metadata = bytesOf(one(fields, 9))
  return {
    tag: utf8.decode(bytesOf(one(fields, 1)) ?? new Uint8Array()),
    simpleValue: simple && simple.wire === 5 ? view(simple.bytes).getFloat32(0, true) : undefined,
    tensor: tensor ? decodeTensor(tensor) : undefined,
    metadata: metadata ? decodeMetadata(metadata) : undefined
  }
}

export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const fields = decodeFields(bytes)
  const wall = one(fields, 1)
  if (wall && wall.wire !== 1) throw new Error('wall_time must be fixed64 (double)')
  const fileVersion = bytesOf(one(fields, 3))
  const summary = bytesOf(one(fields, 5))
  return {
    wallTime: wall ? view(wall.bytes).getFloat64(0, true) : 0,
    step: int64(varintOf(one(fields, 2)) ?? 0n),
    fileVersion: fileVersion ? utf8.decode(fileVersion) : undefined,
    values: summary
      ? decodeFields(summary)
          .filter((f) => f.number === 1)
          .map((f) => decodeValue(bytesOf(f)!))
      : []
  }
}

/** Every complete event in a file, plus the partial tail if the file was cut. */
export function readEventFile(file: Uint8Array): { events: DecodedEvent[]; partialTail: RecordsRead['partialTail'] } {
  const { records, partialTail } = readRecords(file)
  return { events: records.map(decodeEvent), partialTail }
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '')
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}
