// A minimal POSIX ustar writer, enough for WebDataset shards: regular files with short names, each a
// 512-byte header and its bytes padded to 512, two zero blocks at the end. Written by hand (a few
// dozen lines) rather than taken as a dependency; Python's tarfile and GNU tar read it (a test checks).
import { createReadStream } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { AppError } from '../core/errors'

export const TAR_BLOCK = 512
/** ustar's `size` field holds 11 octal digits. */
const MAX_MEMBER_SIZE = 0o77777777777

/** Bytes a member of `size` bytes takes in the archive, header included. */
export const tarMemberBytes = (size: number): number => TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK

/** The two zero blocks that end an archive. */
export const TAR_END_BYTES = 2 * TAR_BLOCK

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0')
}

/** The ustar header of a regular file (mode 0644, owner 0). */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const nameBytes = Buffer.from(name, 'utf8')
  if (nameBytes.length > 100) throw new Error(`tar member name longer than 100 bytes: ${name}`)
  if (size > MAX_MEMBER_SIZE) throw new AppError('UNSUPPORTED', `${name} is larger than a tar member can be (8 GiB)`)
  const header = Buffer.alloc(TAR_BLOCK)
  nameBytes.copy(header, 0)
  header.write(`${octal(0o644, 8)}\0`, 100, 'ascii')
  header.write(`${octal(0, 8)}\0`, 108, 'ascii')
  header.write(`${octal(0, 8)}\0`, 116, 'ascii')
  header.write(`${octal(size, 12)}\0`, 124, 'ascii')
  header.write(`${octal(Math.max(0, Math.floor(mtime.getTime() / 1000)), 12)}\0`, 136, 'ascii')
  header.write('        ', 148, 'ascii') // the checksum counts its own field as spaces
  header.write('0', 156, 'ascii')
  header.write('ustar\0', 257, 'ascii')
  header.write('00', 263, 'ascii')
  let sum = 0
  for (const byte of header) sum += byte
  header.write(`${octal(sum, 7)}\0 `, 148, 'ascii')
  return header
}

const padding = (size: number) => Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK)

/** Appends tar members to an open file, tracking the bytes written. */
export class TarWriter {
  bytes = 0

  constructor(private readonly out: FileHandle) {}

  private async write(buffer: Buffer): Promise<void> {
    if (buffer.length === 0) return
    await this.out.write(buffer)
    this.bytes += buffer.length
  }

  async addBuffer(name: string, data: Buffer, mtime: Date): Promise<void> {
    await this.write(tarHeader(name, data.length, mtime))
    await this.write(data)
    await this.write(padding(data.length))
  }

  /**
   * Streams a file of `size` bytes (as stat said) into the archive. A file that changed length in
   * between would corrupt the archive, so that stops the export instead.
   */
  async addFile(name: string, source: string, size: number, mtime: Date, signal: AbortSignal): Promise<void> {
    await this.write(tarHeader(name, size, mtime))
    let read = 0
    for await (const chunk of createReadStream(source, { signal }) as AsyncIterable<Buffer>) {
      read += chunk.length
      if (read > size) break
      await this.write(chunk)
    }
    if (read !== size) throw new AppError('IO_ERROR', `${source} changed while it was being exported (${size} bytes expected); export again`)
    await this.write(padding(size))
  }

  async end(): Promise<void> {
    await this.write(Buffer.alloc(TAR_END_BYTES))
  }
}
