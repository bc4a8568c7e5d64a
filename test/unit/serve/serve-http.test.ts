import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import { loadServeModel } from '../../../src-main/serve/serve-model'
import { startModelServer } from '../../../src-main/serve/start-server'
import type { RunningServer, ServeModel } from '../../../src-main/serve/serve-types'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { argmax, bigRedJpeg, bluePng, pixelBombPng, redPng, serveFixture, type ServeFixture } from './serve-fixture'

// `pictor serve`'s endpoints over real HTTP, on a real trained CNN run: each protocol's happy path,
// and every kind of bad input answered with a 4xx and a JSON error, never a 5xx.

let dir: string
let fixture: ServeFixture
let model: ServeModel
let server: RunningServer
let name: string
const TOKEN = 'correct-horse-battery'

beforeAll(async () => {
  dir = makeTempDir('pictor-serve-http-')
  fixture = await serveFixture(dir)
  model = await loadServeModel({ project: fixture.projectPath }, { modelsDir: join(dir, 'no-models'), name: 'colours' })
  server = await startModelServer({ model, port: 0, maxBatch: 8, batchDelayMs: 2, maxBodyBytes: 2 << 20 })
  name = server.name
}, 120_000)

afterAll(async () => {
  await server?.close()
  removeTempDir(dir)
})

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, init)
  const text = await response.text()
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers }
}

const postJson = (path: string, body: unknown) => call(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
const b64 = (bytes: Buffer) => bytes.toString('base64')

function expectError(result: { status: number; body: Record<string, unknown> }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status)
  expect(result.body.code).toBe(code)
  expect(typeof result.body.error).toBe('string')
}

describe('Open Inference Protocol (KServe v2)', () => {
  it('health, readiness and model metadata', async () => {
    expect(await call('/v2/health/live')).toMatchObject({ status: 200, body: { live: true } })
    expect(await call('/v2/health/ready')).toMatchObject({ status: 200, body: { ready: true } })
    expect(await call(`/v2/models/${name}/ready`)).toMatchObject({ status: 200, body: { name, ready: true } })
    const metadata = await call(`/v2/models/${name}`)
    expect(metadata.status).toBe(200)
    expect(metadata.body).toMatchObject({
      name: 'colours',
      labels: ['blue', 'red'],
      inputs: [
        { name: 'image', datatype: 'BYTES', shape: [-1] },
        { name: 'image', datatype: 'FP32', shape: [-1, 20, 20, 3] }
      ],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
        { name: 'label', datatype: 'BYTES', shape: [-1] }
      ],
      preprocessing: { offset: 0 }
    })
  })

  it('infers base64 images of any size, in order', async () => {
    const images = [await redPng(1), await bluePng(2), await bigRedJpeg()]
    const result = await postJson(`/v2/models/${name}/infer`, { id: 'r1', inputs: [{ name: 'image', shape: [3], datatype: 'BYTES', data: images.map(b64) }] })
    expect(result.status, JSON.stringify(result.body)).toBe(200)
    expect(result.body).toMatchObject({ model_name: 'colours', id: 'r1' })
    const [probabilities, label] = result.body.outputs as { name: string; shape: number[]; datatype: string; data: unknown[] }[]
    expect(probabilities).toMatchObject({ name: 'probabilities', shape: [3, 2], datatype: 'FP32' })
    expect(label).toMatchObject({ name: 'label', shape: [3], datatype: 'BYTES', data: ['red', 'blue', 'red'] })
    const rows = [0, 1, 2].map((row) => (probabilities!.data as number[]).slice(row * 2, row * 2 + 2))
    for (const row of rows) expect(row[0]! + row[1]!).toBeCloseTo(1, 5)
  })

  it('infers preprocessed FP32 [n,h,w,c] input exactly as the same images sent as files', async () => {
    const png = await redPng(7)
    const pixels = await model.preprocessBuffer(png)
    const asFloats = await postJson(`/v2/models/${name}/infer`, {
      inputs: [{ name: 'image', shape: [1, 20, 20, 3], datatype: 'FP32', data: Array.from(pixels) }],
      outputs: [{ name: 'probabilities' }]
    })
    const asFile = await postJson(`/v2/models/${name}/infer`, { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [b64(png)] }] })
    const outputs = asFloats.body.outputs as { name: string; data: number[] }[]
    expect(outputs.map((output) => output.name)).toEqual(['probabilities'])
    const fileProbabilities = (asFile.body.outputs as { data: number[] }[])[0]!.data
    outputs[0]!.data.forEach((value, index) => expect(value).toBeCloseTo(fileProbabilities[index]!, 6))
  })

  it('refuses wrong shapes, datatypes, names, JSON and images with a 4xx', async () => {
    const png = b64(await redPng(3))
    const infer = `/v2/models/${name}/infer`
    const tensor = (fields: Record<string, unknown>) => ({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [png], ...fields }] })
    expectError(await postJson(infer, tensor({ shape: [2] })), 400, 'INVALID_SHAPE')
    expectError(await postJson(infer, tensor({ shape: [1, 20, 20, 3], datatype: 'FP32', data: [1, 2, 3] })), 400, 'INVALID_SHAPE')
    expectError(await postJson(infer, tensor({ shape: [1, 32, 32, 3], datatype: 'FP32', data: new Array(32 * 32 * 3).fill(0) })), 400, 'INVALID_SHAPE')
    expectError(await postJson(infer, tensor({ shape: [1, 20, 20, 3], datatype: 'FP32', data: new Array(1200).fill('x') })), 400, 'INVALID_DATATYPE')
    expectError(await postJson(infer, tensor({ datatype: 'INT64' })), 400, 'INVALID_DATATYPE')
    expectError(await postJson(infer, tensor({ data: [42] })), 400, 'INVALID_DATATYPE')
    expectError(await postJson(infer, tensor({ name: 'input_1' })), 400, 'INVALID_INPUT_NAME')
    expectError(await postJson(infer, { ...tensor({}), outputs: [{ name: 'logits' }] }), 400, 'INVALID_OUTPUT_NAME')
    expectError(await postJson(infer, { inputs: [] }), 400, 'INVALID_REQUEST')
    expectError(await postJson(infer, tensor({ data: ['%%% not base64 %%%'] })), 400, 'INVALID_BASE64')
    expectError(await postJson(infer, tensor({ data: [b64(Buffer.from('plain text, no image'))] })), 400, 'NOT_AN_IMAGE')
    expectError(await postJson(infer, tensor({ data: [b64(pixelBombPng())] })), 413, 'TOO_MANY_PIXELS')
    expectError(await call(infer, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [' }), 400, 'BAD_JSON')
    expectError(await call(infer, { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await postJson(`/v2/models/nope/infer`, tensor({})), 404, 'MODEL_NOT_FOUND')
    expectError(await call('/v2/models/nope'), 404, 'MODEL_NOT_FOUND')
    expectError(await call('/v3/anything'), 404, 'NOT_FOUND')
    expectError(await call(infer), 405, 'METHOD_NOT_ALLOWED')
  })

  it('fails only the corrupt image of a request, naming it', async () => {
    const result = await postJson(`/v2/models/${name}/infer`, {
      inputs: [{ name: 'image', shape: [2], datatype: 'BYTES', data: [b64(await redPng(4)), b64(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]))] }]
    })
    expectError(result, 400, 'NOT_AN_IMAGE')
    expect(result.body.error).toMatch(/^image 1 /)
  })

  it('says there is no drift report without a monitor', async () => {
    expectError(await call(`/v2/models/${name}/drift`), 404, 'NO_DRIFT_REFERENCE')
  })
})

describe('TF Serving REST and /predict', () => {
  it('predicts instances in the row format, probabilities in label order', async () => {
    const result = await postJson(`/v1/models/${name}:predict`, { instances: [{ b64: b64(await bluePng(5)) }, { image: { b64: b64(await redPng(6)) } }] })
    expect(result.status, JSON.stringify(result.body)).toBe(200)
    const predictions = result.body.predictions as { label: string; confidence: number; probabilities: number[] }[]
    expect(predictions.map((prediction) => prediction.label)).toEqual(['blue', 'red'])
    for (const prediction of predictions) {
      expect(prediction.probabilities).toHaveLength(2)
      expect(prediction.confidence).toBe(Math.max(...prediction.probabilities))
      expect(['blue', 'red'][argmax(prediction.probabilities)]).toBe(prediction.label)
    }
    expect(await call(`/v1/models/${name}`)).toMatchObject({ status: 200, body: { model_version_status: [{ version: '1', state: 'AVAILABLE' }] } })
  })

  it('refuses bad instances and unknown models', async () => {
    expectError(await postJson(`/v1/models/${name}:predict`, { instances: 'no' }), 400, 'INVALID_SHAPE')
    expectError(await postJson(`/v1/models/${name}:predict`, { instances: [{ b64: b64(Buffer.from('GIF89a but not really')) }] }), 400, 'NOT_AN_IMAGE')
    expectError(await postJson(`/v1/models/${name}:predict`, { instances: [[1, 2, 3]] }), 400, 'INVALID_SHAPE')
    expectError(await postJson(`/v1/models/other:predict`, { instances: [{ b64: 'AAAA' }] }), 404, 'MODEL_NOT_FOUND')
  })

  it('/predict takes the image file as the body (curl --data-binary)', async () => {
    const result = await call('/predict', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: await bigRedJpeg() })
    expect(result.status, JSON.stringify(result.body)).toBe(200)
    expect(result.body).toMatchObject({ model_name: 'colours', label: 'red' })
    expectError(await call('/predict', { method: 'POST', body: Buffer.from('hello') }), 400, 'NOT_AN_IMAGE')
    expectError(await call('/predict', { method: 'POST', body: pixelBombPng() }), 413, 'TOO_MANY_PIXELS')
    expectError(await call('/predict', { method: 'POST', body: Buffer.alloc(0) }), 400, 'EMPTY_BODY')
    expectError(await call('/predict', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('refuses a body over the limit with 413, without reading it all', async () => {
    expectError(await call('/predict', { method: 'POST', body: Buffer.alloc(3 << 20, 1) }), 413, 'BODY_TOO_LARGE')
    // Sent in chunks without a Content-Length: cut off once the limit is passed.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${server.url}/predict`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (response) => {
        response.resume()
        resolve(response.statusCode!)
      })
      request.on('error', reject)
      for (let i = 0; i < 3; i++) request.write(Buffer.alloc(1 << 20, 2))
      request.end()
    })
    expect(status).toBe(413)
  })

  it('/metrics says it is off when no metrics were given', async () => {
    expectError(await call('/metrics'), 503, 'METRICS_DISABLED')
  })

  it('counts requests and errors, latency and class mix in stats()', () => {
    const stats = server.stats()
    expect(stats.url).toBe(server.url)
    expect(stats.requests).toBeGreaterThan(20)
    expect(stats.errors).toBeGreaterThan(10)
    expect(stats.latency!.p50).toBeGreaterThan(0)
    expect(stats.latency!.p99).toBeGreaterThanOrEqual(stats.latency!.p50)
    expect(stats.latencyHistogram.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(Math.min(stats.requests, 1000))
    expect(stats.classMix.map((entry) => entry.label)).toEqual(['blue', 'red'])
    expect(stats.classMix[0]!.served + stats.classMix[1]!.served).toBeCloseTo(1, 9)
  })
})

describe('safety', () => {
  it('asks for the token when given one: 401 without it or with a wrong one', async () => {
    const guarded = await startModelServer({ model: { ...model, dispose: () => {} }, port: 0, token: TOKEN })
    try {
      const health = (headers: Record<string, string>) => fetch(`${guarded.url}/v2/health/live`, { headers })
      expect((await health({})).status).toBe(401)
      expect((await health({ Authorization: 'Bearer wrong-token-here' })).status).toBe(401)
      expect((await health({ Authorization: `Basic ${TOKEN}` })).status).toBe(401)
      const wrong = await health({ Authorization: 'Bearer nope' })
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer')
      expect(await wrong.json()).toMatchObject({ code: 'UNAUTHORIZED' })
      expect((await health({ Authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    } finally {
      await guarded.close()
    }
  })

  it('refuses to listen beyond this machine without a token or --insecure', async () => {
    const refused = await startModelServer({ model, host: '0.0.0.0', port: 0 }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(AppError)
    expect((refused as AppError).message).toMatch(/--token/)
    const open = await startModelServer({ model: { ...model, dispose: () => {} }, host: '0.0.0.0', port: 0, insecure: true })
    await open.close()
  })
})
