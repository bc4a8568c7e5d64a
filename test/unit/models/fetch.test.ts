import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import { BASE_MODELS } from '../../../src-main/models/base-models'
import { BaseModelStore, type ModelProgress } from '../../../src-main/models/base-model-store'
import { expectOnlyEntries, needSharedModel, SHARED_MODELS_DIR, sharedWeights, writeKerasH5 } from '../../helpers/base-models'
import { useTempDir } from '../../helpers/temp-dir'

// `fetch` is tested against a server on 127.0.0.1 started here (the URL is injectable); no test
// contacts any other address. This machine has no internet, and neither do many users' machines.

const temp = useTempDir('pictor-models-')
const FOLDER = 'mobilenet_v2_1.0_224_no_top'
const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason
  )
  expect(error, 'expected the promise to reject with an AppError').toBeInstanceOf(AppError)
  return error as AppError
}

async function testH5(): Promise<Buffer> {
  const path = join(temp(), 'served.h5')
  await writeKerasH5(path, await sharedWeights())
  return readFileSync(path)
}

function expectOfflineAdvice(error: AppError): void {
  expect(error.code).toBe('IO_ERROR')
  expect(error.message).toContain('`pictor models import FILE`')
  expect(error.message).toContain(BASE_MODELS[0]!.download.url)
  expect(error.message).toContain('Nothing was installed')
}

describe('fetching the base model', () => {
  it('knows the official file', () => {
    expect(BASE_MODELS[0]!.download).toMatchObject({
      url: 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5',
      bytes: 9_406_464
    })
  })

  it('fails clearly when the server cannot be reached, leaving nothing behind', async () => {
    const url = await serve(() => undefined)
    await new Promise((resolve) => servers.pop()!.close(resolve)) // the port is now closed
    const models = join(temp(), 'models')
    const error = await rejection(new BaseModelStore(models).fetch(undefined, { url: `${url}/weights.h5` }))
    expectOfflineAdvice(error)
    expect(error.message).toMatch(/Could not download from 127\.0\.0\.1:\d+: the connection was refused/)
    expectOnlyEntries(models, [])
  })

  it('refuses a truncated file by its size', async (context) => {
    needSharedModel(context)
    const h5 = await testH5()
    const url = await serve((request, response) => {
      if (request.url === '/announced.h5') response.end(h5.subarray(0, 1_000_000))
      else {
        response.write(h5.subarray(0, 1_000_000)) // chunked: no length announced
        response.end()
      }
    })
    const models = join(temp(), 'models')
    const store = new BaseModelStore(models)
    const announced = await rejection(store.fetch(undefined, { url: `${url}/announced.h5`, expectedBytes: h5.length }))
    expectOfflineAdvice(announced)
    expect(announced.message).toContain(`offers 1000000 bytes, but the file has ${h5.length}`)
    const chunked = await rejection(store.fetch(undefined, { url: `${url}/chunked.h5`, expectedBytes: h5.length }))
    expectOfflineAdvice(chunked)
    expect(chunked.message).toContain(`is incomplete: 1000000 of ${h5.length} bytes arrived`)
    expectOnlyEntries(models, [])
  })

  it('refuses a transfer that stops early', async (context) => {
    needSharedModel(context)
    const h5 = await testH5()
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': h5.length })
      response.write(h5.subarray(0, 2_000_000), () => response.destroy())
    })
    const models = join(temp(), 'models')
    const error = await rejection(new BaseModelStore(models).fetch(undefined, { url: `${url}/w.h5` }))
    expectOfflineAdvice(error)
    expect(error.message).toMatch(/failed after \d+ bytes: the connection was closed before the file was complete/)
    expectOnlyEntries(models, [])
  })

  it('refuses an HTTP error and a wrong checksum', async (context) => {
    needSharedModel(context)
    const h5 = await testH5()
    const url = await serve((request, response) => {
      if (request.url === '/missing.h5') response.writeHead(404).end('not here')
      else response.end(h5)
    })
    const models = join(temp(), 'models')
    const store = new BaseModelStore(models)
    expect((await rejection(store.fetch(undefined, { url: `${url}/missing.h5` }))).message).toMatch(/answered 404/)
    const wrong = await rejection(store.fetch(undefined, { url: `${url}/w.h5`, sha256: '0'.repeat(64) }))
    expectOfflineAdvice(wrong)
    expect(wrong.message).toMatch(/its SHA-256 is [0-9a-f]{64}, expected 0{64}/)
    expectOnlyEntries(models, [])
  })

  it('can be cancelled mid-download', async (context) => {
    needSharedModel(context)
    const h5 = await testH5()
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': h5.length })
      response.write(h5.subarray(0, 1_000_000)) // ...and then nothing more
    })
    const controller = new AbortController()
    const models = join(temp(), 'models')
    const fetching = new BaseModelStore(models).fetch(undefined, {
      url: `${url}/w.h5`,
      signal: controller.signal,
      onProgress: ({ done }) => done > 0 && controller.abort()
    })
    expect((await rejection(fetching)).code).toBe('CANCELLED')
    expectOnlyEntries(models, [])
  })

  it('downloads, checks and installs a good file, with progress and its checksum', async (context) => {
    needSharedModel(context)
    const h5 = await testH5()
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': h5.length, 'content-type': 'application/octet-stream' })
      response.end(h5)
    })
    const models = join(temp(), 'models')
    const store = new BaseModelStore(models)
    const progress: ModelProgress[] = []
    const sha256 = createHash('sha256').update(h5).digest('hex')
    const result = await store.fetch(undefined, { url: `${url}/w.h5`, expectedBytes: h5.length, sha256, onProgress: (p) => progress.push(p) })

    expect(result.source).toEqual({ kind: 'download', location: `${url}/w.h5`, sha256, bytes: h5.length })
    expect(result.version).toBe((await new BaseModelStore(SHARED_MODELS_DIR).verify()).version)
    const downloads = progress.filter((p) => p.phase === 'download')
    expect(downloads.length).toBeGreaterThan(2)
    expect(downloads.at(-1)).toEqual({ phase: 'download', done: h5.length, total: h5.length })
    expect(progress.at(-1)).toEqual({ phase: 'install', done: 1, total: 1 })
    expect(await store.locate()).toBe(result.path)
    expectOnlyEntries(models, [FOLDER])

    // Installed and intact: a second fetch refuses before it downloads anything.
    const again = await rejection(store.fetch(undefined, { url: `${url}/w.h5` }))
    expect(again.code).toBe('ALREADY_EXISTS')
  })
})
