import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeModel } from '../../../src-main/serve/serve-model'
import { startModelServer } from '../../../src-main/serve/start-server'
import type { ServeModel } from '../../../src-main/serve/serve-types'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { bluePng, redPng, serveFixture, slowPredict, type ServeFixture } from './serve-fixture'

// Dynamic batching and graceful shutdown on a real model: 20 concurrent requests get exactly the
// answers they get one at a time, from fewer than 20 model calls; a request in flight when close()
// is called is still answered, and the model is freed only after it.

let dir: string
let fixture: ServeFixture
let loaded: ServeModel

/** The real model, with each model call's batch size recorded. */
function counted(model: ServeModel, disposed?: () => void): ServeModel & { calls: number[] } {
  const calls: number[] = []
  return {
    ...model,
    calls,
    predict(batch) {
      calls.push(batch.length)
      return model.predict(batch)
    },
    dispose: () => disposed?.()
  }
}

beforeAll(async () => {
  dir = makeTempDir('pictor-serve-batching-')
  fixture = await serveFixture(dir)
  loaded = await loadServeModel({ model: fixture.exported }, { modelsDir: join(dir, 'no-models') })
}, 120_000)

afterAll(() => {
  loaded?.dispose()
  removeTempDir(dir)
})

async function predict(url: string, body: Buffer): Promise<{ status: number; json: { label: string; probabilities: number[] } }> {
  const response = await fetch(`${url}/predict`, { method: 'POST', body })
  return { status: response.status, json: (await response.json()) as { label: string; probabilities: number[] } }
}

describe('dynamic batching', () => {
  it('answers 20 concurrent requests as one at a time would, in fewer model calls', async () => {
    const images = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 3 === 0 ? bluePng(index) : redPng(index))))
    const model = counted(loaded)
    const server = await startModelServer({ model, port: 0, maxBatch: 8, batchDelayMs: 20 })
    try {
      const alone: { label: string; probabilities: number[] }[] = []
      for (const image of images) alone.push((await predict(server.url, image)).json)
      expect(model.calls.every((size) => size === 1)).toBe(true)
      model.calls.length = 0

      const together = await Promise.all(images.map((image) => predict(server.url, image)))
      expect(together.every((answer) => answer.status === 200)).toBe(true)
      together.forEach((answer, index) => {
        expect(answer.json.label).toBe(alone[index]!.label)
        answer.json.probabilities.forEach((value, k) => expect(value).toBeCloseTo(alone[index]!.probabilities[k]!, 6))
      })
      expect(together.map((answer) => answer.json.label)).toEqual(images.map((_, index) => (index % 3 === 0 ? 'blue' : 'red')))
      expect(model.calls.reduce((sum, size) => sum + size, 0)).toBe(20)
      expect(model.calls.length).toBeLessThan(20)
      expect(Math.max(...model.calls)).toBeLessThanOrEqual(8)
    } finally {
      await server.close()
    }
  })

  it('a corrupt image fails alone: the other requests of its batch are answered', async () => {
    const model = counted(loaded)
    const server = await startModelServer({ model, port: 0, maxBatch: 16, batchDelayMs: 30 })
    try {
      const bodies = await Promise.all(Array.from({ length: 10 }, (_, index) => redPng(50 + index)))
      bodies[4] = Buffer.concat([bodies[4]!.subarray(0, 40), Buffer.alloc(40)]) // truncated PNG
      const answers = await Promise.all(bodies.map((body) => predict(server.url, body)))
      expect(answers.map((answer) => answer.status)).toEqual(bodies.map((_, index) => (index === 4 ? 400 : 200)))
      expect(answers.filter((answer) => answer.status === 200).every((answer) => answer.json.label === 'red')).toBe(true)
    } finally {
      await server.close()
    }
  })

  it('refuses with 503 and Retry-After when the queue is full', async () => {
    const server = await startModelServer({ model: counted(loaded), port: 0, maxBatch: 1, batchDelayMs: 200, maxQueue: 2 })
    try {
      const images = await Promise.all(Array.from({ length: 12 }, (_, index) => redPng(80 + index)))
      const responses = await Promise.all(images.map((body) => fetch(`${server.url}/predict`, { method: 'POST', body })))
      const refused = responses.filter((response) => response.status === 503)
      expect(refused.length).toBeGreaterThan(0)
      expect(refused[0]!.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(await refused[0]!.json()).toMatchObject({ code: 'QUEUE_FULL' })
      expect(responses.filter((response) => response.status === 200).length).toBeGreaterThan(0)
    } finally {
      await server.close()
    }
  })
})

describe('graceful shutdown', () => {
  it('answers the request in flight, then frees the model and stops listening', async () => {
    let disposed = false
    const model = counted(loaded, () => (disposed = true))
    const server = await startModelServer({ model, port: 0, maxBatch: 8, batchDelayMs: 5 })
    // Half its body is sent when close() is called, the rest 300 ms later.
    const inFlight = slowPredict(server.url, await redPng(99), 300)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closing = server.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(disposed).toBe(false)
    await expect(fetch(`${server.url}/v2/health/live`)).rejects.toThrow()
    const answer = await inFlight
    expect(answer.status).toBe(200)
    expect(answer.json.label).toBe('red')
    await closing
    expect(disposed).toBe(true)
    expect(model.calls).toEqual([1])
  })
})

describe('a lone client', () => {
  it('pays no batching delay: with nobody else arriving, its image goes to the model at once', async () => {
    const server = await startModelServer({ model: counted(loaded), port: 0, maxBatch: 8, batchDelayMs: 1000 })
    try {
      const image = await redPng(5)
      const started = performance.now()
      for (let i = 0; i < 3; i++) expect((await predict(server.url, image)).status).toBe(200)
      expect(performance.now() - started).toBeLessThan(1000)
    } finally {
      await server.close()
    }
  })
})

describe('request timeout', () => {
  it('answers 408 to a client whose body does not arrive in time', async () => {
    const server = await startModelServer({ model: counted(loaded), port: 0, requestTimeoutMs: 300 })
    try {
      // The server answers before the rest of the body is sent, then closes the connection.
      const answer = await slowPredict(server.url, await redPng(6), 1000)
      expect(answer).toMatchObject({ status: 408, json: { code: 'REQUEST_TIMEOUT' } })
      expect(server.stats().requests).toBe(1)
      expect(server.stats().errors).toBe(1)
    } finally {
      await server.close()
    }
  })
})
