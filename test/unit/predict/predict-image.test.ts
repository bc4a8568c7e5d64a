import { randomBytes } from 'node:crypto'
import { readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MethodName, RequestOf, ResponseOf } from '../../../src-main/contract/methods'
import { TRY_IMAGE_MAX_BASE64, TRY_IMAGE_MAX_BYTES } from '../../../src-main/contract/try-image'
import { exportRun } from '../../../src-main/export/export-run'
import { startBrowserServer } from '../../../src-main/server/browser-server'
import { ImageWorker } from '../../../src-main/services/image-worker'
import { createServices, type Services } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'

// Try it (issue 14, "Go beyond the peers"): one image, every class with its probability, through the
// real services and the built Try it worker, with a tiny CNN trained on reddish and bluish images and
// the .onnx exported from it. A file and its bytes get the same answer; the model stays loaded, so a
// second try does not load it again; text, damaged and oversized images fail with a coded sentence.

let dir: string
let trained: TrainedProject
let modelPath: string
let services: Services
let red: string
let blue: string

async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
  const envelope = await services.call(method, request)
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code}: ${envelope.error.message}`)
  return envelope.value
}

async function failure<M extends MethodName>(method: M, request: RequestOf<M>): Promise<string> {
  const envelope = await services.call(method, request)
  return envelope.ok ? 'ok' : `${envelope.error.code}: ${envelope.error.message}`
}

/** A flat colour, as a user would drop a photo of something plainly red or blue (larger than the model's input). */
async function flat(path: string, rgb: [number, number, number]): Promise<string> {
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .jpeg()
    .toFile(path)
  return path
}

const base64 = (path: string) => readFileSync(path).toString('base64')
const sum = (ranks: { probability: number }[]) => ranks.reduce((total, rank) => total + rank.probability, 0)

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-predict-image-')
  trained = await trainTinyCnn(join(dir, 'project'))
  await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { dir: join(dir, 'export'), formats: ['onnx'] }, { modelsDir: join(dir, 'no-models'), pictorVersion: 'test' }))
  modelPath = join(dir, 'export')
  red = await flat(join(dir, 'red.jpg'), [210, 35, 35])
  blue = await flat(join(dir, 'blue photo.jpg'), [35, 35, 210])
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  await call('project.open', { path: trained.projectPath })
}, 120_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

describe('predict.image (Try it)', () => {
  it("names the right class with the project's run, every class with a probability, best first, summing to 1", async () => {
    const first = await call('predict.image', { runId: trained.runId, path: red })
    expect(first.source).toEqual({ kind: 'run', runId: trained.runId })
    expect(first.ranks.map((rank) => rank.label).sort()).toEqual(['blue', 'red'])
    expect(first.ranks[0]!.label).toBe('red')
    expect(first.ranks[0]!.probability).toBeGreaterThan(first.ranks[1]!.probability)
    expect(sum(first.ranks)).toBeCloseTo(1, 5)
    expect(first.loadMs).toBeGreaterThan(0) // the first try loads the model
    expect(first.preview).toMatch(/^data:image\/webp;base64,/)
    const shown = await sharp(Buffer.from(first.preview.split(',')[1]!, 'base64')).metadata()
    expect([shown.width, shown.height]).toEqual([64, 48]) // never enlarged

    // The next try reuses the loaded model: no load, and one small image takes well under a second.
    const second = await call('predict.image', { path: blue })
    expect(second.source).toEqual({ kind: 'run', runId: trained.runId }) // the latest run when none is named
    expect(second.ranks[0]!.label).toBe('blue')
    expect(sum(second.ranks)).toBeCloseTo(1, 5)
    expect(second.loadMs).toBeNull()
    expect(second.ms).toBeLessThan(1000)
  }, 60_000)

  it('answers the same for a file and for its bytes (a file dropped into the browser)', async () => {
    for (const path of [red, blue]) {
      const byPath = await call('predict.image', { runId: trained.runId, path })
      const byBytes = await call('predict.image', { runId: trained.runId, bytes: base64(path), name: 'dropped.jpg' })
      expect(byBytes.ranks.map((rank) => rank.label)).toEqual(byPath.ranks.map((rank) => rank.label))
      byBytes.ranks.forEach((rank, index) => expect(rank.probability).toBeCloseTo(byPath.ranks[index]!.probability, 6))
      expect(byBytes.preview).toBe(byPath.preview)
    }
  }, 60_000)

  it('predicts with an exported model as with its run', async () => {
    const run = await call('predict.image', { runId: trained.runId, path: red })
    const exported = await call('predict.image', { modelPath, bytes: base64(red), name: 'red.jpg' })
    expect(exported.source).toEqual({ kind: 'model', path: modelPath })
    expect(exported.engine).toBe('onnxruntime')
    expect(exported.ranks[0]!.label).toBe('red')
    exported.ranks.forEach((rank, index) => expect(rank.probability).toBeCloseTo(run.ranks[index]!.probability, 4))
    expect((await call('predict.image', { modelPath, path: blue })).loadMs).toBeNull()
  }, 60_000)

  it('refuses text, a damaged image, a folder and a missing file with a coded one-line sentence, never INTERNAL', async () => {
    const text = join(dir, 'notes.jpg')
    writeFileSync(text, 'just text, named like a photo')
    expect(await failure('predict.image', { path: text })).toBe(`INVALID_REQUEST: ${text} is not an image Pictor can read`)
    expect(await failure('predict.image', { bytes: base64(text), name: 'notes.jpg' })).toBe('INVALID_REQUEST: notes.jpg is not an image Pictor can read')
    const damaged = join(dir, 'damaged.png')
    writeFileSync(damaged, (await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c22' } }).png().toBuffer()).subarray(0, 60))
    expect(await failure('predict.image', { path: damaged })).toMatch(/^INVALID_REQUEST: .*damaged\.png is a damaged PNG image: [^\n]+$/)
    expect(await failure('predict.image', { path: dir })).toBe(`INVALID_REQUEST: ${dir} is a folder; choose an image file`)
    expect(await failure('predict.image', { path: join(dir, 'gone.jpg') })).toBe(`NOT_FOUND: ${join(dir, 'gone.jpg')} does not exist`)
    expect(await failure('predict.image', { bytes: 'not base64!', name: 'x.jpg' })).toBe('INVALID_REQUEST: x.jpg was not sent as base64')
    expect(await failure('predict.image', { bytes: '', name: 'empty.jpg' })).toBe('INVALID_REQUEST: empty.jpg is empty')
    expect(await failure('predict.image', { path: red, bytes: base64(red) })).toMatch(/^INVALID_REQUEST: .*give the image as a path or as bytes/)
    // The worker is still fine after all that.
    expect((await call('predict.image', { path: red })).ranks[0]!.label).toBe('red')
  }, 60_000)

  it('refuses an image over 25 MB, sent or named, before any decoding', async () => {
    const tooBig = 'A'.repeat(TRY_IMAGE_MAX_BASE64 + 4)
    expect(await failure('predict.image', { bytes: tooBig, name: 'huge.tif' })).toBe('INVALID_REQUEST: predict.image: bytes: the image is larger than 25 MB; Try it takes images up to 25 MB')
    const huge = join(dir, 'huge.tif')
    writeFileSync(huge, readFileSync(red))
    truncateSync(huge, TRY_IMAGE_MAX_BYTES + 1) // sparse: the size is what counts
    expect(await failure('predict.image', { path: huge })).toBe(`INVALID_REQUEST: ${huge} is larger than 25 MB; Try it takes images up to 25 MB`)
  }, 60_000)

  it("carries a dropped photo of several MB through browser mode's transport (other calls stay capped at 1 MB)", async () => {
    const noise = randomBytes(1000 * 1000 * 3) // incompressible: a PNG of about 3 MB
    const photo = join(dir, 'noise.png')
    await sharp(noise, { raw: { width: 1000, height: 1000, channels: 3 } }).png().toFile(photo)
    const bytes = base64(photo)
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024)
    const server = await startBrowserServer({ services, rendererDir: join(dir, 'no-renderer') })
    try {
      const post = (method: string, body: object) =>
        fetch(`${server.origin}/api/call/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
          body: JSON.stringify(body)
        })
      const answer = (await (await post('predict.image', { bytes, name: 'noise.png' })).json()) as { ok: boolean; value: { ranks: unknown[] } }
      expect(answer.ok).toBe(true)
      expect(answer.value.ranks).toHaveLength(2)
      const other = await post('predict.results', { filter: { label: 'x'.repeat(2 * 1024 * 1024) } })
      expect(other.status).toBe(413)
    } finally {
      await server.close()
    }
  }, 60_000)

  it('ends its worker by itself when closed (models released), and starts a new one for the next try', async () => {
    const images = new ImageWorker()
    const request = { key: 'model', source: { kind: 'model', path: modelPath } as const, image: { path: red } }
    expect((await images.try(request)).ranks[0]!.label).toBe('red')
    const started = performance.now()
    await images.close(60_000) // never stopped from outside within a minute: it ended on its own
    expect(performance.now() - started).toBeLessThan(10_000)
    const again = await images.try(request)
    expect(again.loadMs).not.toBeNull()
    await images.close()
  }, 90_000)

  it('needs a project for a run, and names a run that does not exist', async () => {
    expect(await failure('predict.image', { runId: 999, path: red })).toMatch(/^NOT_FOUND: run 999/)
    expect(await failure('predict.image', { runId: 1, modelPath, path: red })).toMatch(/^INVALID_REQUEST: .*give a runId or a modelPath, not both/)
  })
})
