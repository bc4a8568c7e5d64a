import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushEvent } from '../../../src-main/contract/events'
import type { MethodName, RequestOf, ResponseOf } from '../../../src-main/contract/methods'
import { createServices, type Services } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { imagePaths, trainTinyCnn, type TrainedProject } from '../export/trained-run'

// The Monitor view's server (issue 16) through the real services and the built serve worker: a tiny
// CNN run served on 127.0.0.1, called over HTTP as another program would, counted in serve.status and
// in 'serve.stats' events, refused when one already runs, and closed (its port free) by serve.stop and
// by closing the project.

let dir: string
let trained: TrainedProject
let services: Services
const events: PushEvent<'serve.stats'>[] = []

async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
  const envelope = await services.call(method, request)
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code}: ${envelope.error.message}`)
  return envelope.value
}

async function failure(method: string, request: unknown): Promise<string> {
  const envelope = await services.dispatch(method, request)
  return envelope.ok ? 'ok' : `${envelope.error.code}: ${envelope.error.message}`
}

/** Whether anything accepts connections at `url` now. */
async function listening(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/v2/health/live`, { signal: AbortSignal.timeout(5000) })
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-monitor-')
  trained = await trainTinyCnn(join(dir, 'project'))
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  services.events.subscribe((event) => {
    if (event.name === 'serve.stats') events.push(event as PushEvent<'serve.stats'>)
  })
}, 120_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

describe('serve.* through the services', () => {
  it('refuses bad requests at the boundary, and needs an open project', async () => {
    expect(await failure('serve.start', { runId: trained.runId })).toMatch(/^NO_PROJECT: /)
    await call('project.open', { path: trained.projectPath })
    expect(await failure('serve.start', {})).toMatch(/^INVALID_REQUEST: /)
    expect(await failure('serve.start', { runId: 0 })).toMatch(/^INVALID_REQUEST: /)
    expect(await failure('serve.start', { runId: trained.runId, port: 65536 })).toMatch(/^INVALID_REQUEST: .*65535/)
    expect(await failure('serve.start', { runId: trained.runId, port: 1.5 })).toMatch(/^INVALID_REQUEST: /)
    // The app binds 127.0.0.1 only: there is no host to ask for.
    expect(await failure('serve.start', { runId: trained.runId, host: '0.0.0.0' })).toMatch(/^INVALID_REQUEST: /)
    expect(await failure('serve.start', { runId: trained.runId, maxBatch: 0 })).toMatch(/^INVALID_REQUEST: /)
    expect(await failure('serve.stop', { force: true })).toMatch(/^INVALID_REQUEST: /)
    expect(await failure('serve.status', { runId: trained.runId })).toMatch(/^INVALID_REQUEST: /)
    expect(await failure('serve.start', { runId: trained.runId + 100 })).toMatch(/^NOT_FOUND: /)
    expect(await call('serve.status', {})).toBeNull()
    expect(await call('serve.stop', {})).toEqual({ stopped: false })
  })

  it('says so in words when the port is taken', async () => {
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    try {
      expect(await failure('serve.start', { runId: trained.runId, port })).toBe(`IO_ERROR: port ${port} is already in use; choose another port, or 0 for any free one`)
      expect(await call('serve.status', {})).toBeNull()
    } finally {
      taken.close()
    }
  }, 60_000)

  it('serves the run on 127.0.0.1, counts what it answers, and frees the port when stopped', async () => {
    const started = await call('serve.start', { runId: trained.runId, port: 0 })
    expect(started.runId).toBe(trained.runId)
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(started.url).not.toMatch(/:0$/)
    expect(started.name).toMatch(/^[a-z0-9-]+$/)

    const ready = await fetch(`${started.url}/v2/health/ready`)
    expect(ready.status).toBe(200)

    const image = readFileSync(imagePaths(trained.projectPath, 'test')[0]!)
    const answer = await fetch(`${started.url}/predict`, { method: 'POST', body: image, headers: { 'content-type': 'application/octet-stream' } })
    expect(answer.status).toBe(200)
    const body = (await answer.json()) as { label: string }
    expect(['red', 'blue']).toContain(body.label)

    const status = await call('serve.status', {})
    expect(status).not.toBeNull()
    expect(status!.url).toBe(started.url)
    expect(status!.name).toBe(started.name)
    expect(status!.runId).toBe(trained.runId)
    // The health check and the prediction, neither of them an error.
    expect(status!.requests).toBe(2)
    expect(status!.errors).toBe(0)
    expect(status!.latency).not.toBeNull()
    expect(status!.latency!.p50).toBeGreaterThan(0)
    expect(status!.latency!.p99).toBeGreaterThanOrEqual(status!.latency!.p50)
    // One image predicted: all of the served share on its label; the training shares are the project's.
    const mix = Object.fromEntries(status!.classMix.map((row) => [row.label, row]))
    expect(mix[body.label]!.served).toBeCloseTo(1)
    expect(mix.red!.training + mix.blue!.training).toBeCloseTo(1)
    expect(status!.drift?.observed).toBe(1)

    // Events carry the figures without anyone asking: the next report shows the same requests.
    await expect.poll(() => events.at(-1)?.payload.snapshot?.requests, { timeout: 5000 }).toBe(2)

    // One server at a time.
    expect(await failure('serve.start', { runId: trained.runId, port: 0 })).toMatch(/^BUSY: a server already runs for run #\d+; stop it first$/)

    expect(await call('serve.stop', {})).toEqual({ stopped: true })
    expect(await listening(started.url)).toBe(false)
    expect(await call('serve.status', {})).toBeNull()
    expect(events.at(-1)!.payload).toEqual({ snapshot: null, stoppedBecause: null })
  }, 120_000)

  it('stops the server when its project closes', async () => {
    const started = await call('serve.start', { runId: trained.runId, port: 0 })
    expect(await listening(started.url)).toBe(true)
    await call('project.close', {})
    await expect.poll(() => events.at(-1)?.payload.stoppedBecause, { timeout: 15_000 }).toBe('the project it served was closed')
    expect(await listening(started.url)).toBe(false)
    expect(await call('serve.status', {})).toBeNull()
  }, 60_000)
})
