import { request as httpRequest } from 'node:http'
import { deflateSync } from 'node:zlib'
import { join } from 'node:path'
import sharp from 'sharp'
import { exportRun } from '../../../src-main/export/export-run'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { lookPng } from '../../helpers/training-project'
import { trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'

// What the serve tests run on: a seed CNN trained for 2 epochs on reddish and bluish 20×20 PNGs by
// the real training job, exported to ONNX by Pictor's own export, and images of both looks.

export interface ServeFixture extends TrainedProject {
  /** The export folder (onnx/model.onnx inside). */
  exported: string
}

export async function serveFixture(dir: string): Promise<ServeFixture> {
  await activateBackend('wasm')
  const trained = await trainTinyCnn(join(dir, 'project'))
  const exported = join(dir, 'flowers-export')
  await withProjectDbAsync(trained.projectPath, (db) =>
    exportRun(db, { runId: trained.runId, dir: exported, formats: ['onnx'] }, { modelsDir: join(dir, 'no-models'), pictorVersion: 'test' })
  )
  return { ...trained, exported }
}

/** A red or blue PNG unlike any training image (seeds far above the training ones). */
export const redPng = (seed: number) => lookPng('red', 100_000 + seed)
export const bluePng = (seed: number) => lookPng('blue', 200_000 + seed)

/** A 640×480 JPEG photo-sized image: the server resizes any size. */
export function bigRedJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 210, g: 50, b: 40 } } }).jpeg().toBuffer()
}

/**
 * A decompression bomb: a valid PNG whose header declares 50000×50000 pixels (2.5 gigapixels) with
 * a few bytes of data. A decoder that trusted the header would allocate 7.5 GB.
 */
export function pixelBombPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(50_000, 0)
  header.writeUInt32BE(50_000, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, deflate, no filter tweaks, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0))
  ])
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

export const argmax = (values: ArrayLike<number>) => Array.from(values).indexOf(Math.max(...Array.from(values)))

/**
 * POST /predict from a slow client: the headers and half the body now, the rest after `pauseMs`
 * (during which the request is in flight on the server); resolves with the status and JSON answer.
 */
export function slowPredict(url: string, body: Buffer, pauseMs: number): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/predict`, { method: 'POST', headers: { 'Content-Length': body.length } }, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => (text += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode!, json: JSON.parse(text) as Record<string, unknown> }))
    })
    request.on('error', reject)
    const half = Math.floor(body.length / 2)
    request.write(body.subarray(0, half))
    setTimeout(() => request.end(body.subarray(half)), pauseMs)
  })
}
