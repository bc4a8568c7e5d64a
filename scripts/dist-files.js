// Small file helpers shared by the dist scripts and the packaging test.
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** Every regular file under `dir`, as paths relative to it with forward slashes. */
export function listFiles(dir, prefix = '') {
  const files = []
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) files.push(...listFiles(dir, path))
    else if (entry.isFile()) files.push(path)
  }
  return files
}

/** Bytes on disk under `path` (a file or a folder; links not followed). */
export function sizeOf(path) {
  const info = lstatSync(path)
  if (!info.isDirectory()) return info.size
  return readdirSync(path).reduce((total, name) => total + sizeOf(join(path, name)), 0)
}

export function megabytes(bytes) {
  return Math.round((bytes / 1024 / 1024) * 10) / 10
}

/** The file tree inside an asar archive, read from its header (no extraction). */
export function asarHeader(path) {
  const data = readFileSync(path)
  // Pickle layout: [4][header pickle size] then the header pickle: [payload size][string length][JSON].
  const length = data.readUInt32LE(12)
  return JSON.parse(data.subarray(16, 16 + length).toString('utf8'))
}

/** Every file listed in an asar header, with whether it lives in app.asar.unpacked. */
export function asarFiles(header, prefix = '') {
  const files = []
  for (const [name, node] of Object.entries(header.files ?? {})) {
    const path = prefix ? `${prefix}/${name}` : name
    if (node.files) files.push(...asarFiles(node, path))
    else if (!node.link) files.push({ path, unpacked: node.unpacked === true, size: node.size ?? 0 })
  }
  return files
}

/** The bytes of one file stored inside an asar archive (not an unpacked one). */
export function asarRead(path, file) {
  const data = readFileSync(path)
  let node = asarHeader(path)
  for (const part of file.split('/')) node = node.files?.[part]
  if (!node || node.unpacked || node.offset === undefined) throw new Error(`${file} is not stored in ${path}`)
  const start = 8 + data.readUInt32LE(4) + Number(node.offset)
  return data.subarray(start, start + node.size)
}
