import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { redPng, serveFixture, slowPredict, type ServeFixture } from './serve-fixture'

// The built `pictor serve` as a user runs it: it prints the URL and a curl example, answers (with
// /metrics and /v2/models/{name}/drift on), and on SIGTERM answers what is in flight and exits 0.
// Unsafe options are refused in one line before any model loads. (The test runs out/main/cli.js:
// `npm run build` first.)

const CLI = join(import.meta.dirname, '..', '..', '..', 'out', 'main', 'cli.js')

let dir: string
let fixture: ServeFixture

beforeAll(async () => {
  dir = makeTempDir('pictor-serve-cli-')
  fixture = await serveFixture(dir)
}, 120_000)

afterAll(() => removeTempDir(dir))

const env = () => ({ ...process.env, PICTOR_DATA_DIR: join(dir, 'data') })

describe('pictor serve', () => {
  it('serves until SIGTERM, answers the request in flight, and exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--project', fixture.projectPath, '--port', '0', '--name', 'colours'], { env: env() })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const lines = createInterface({ input: child.stdout })
    const printed: string[] = []
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 30_000)
      lines.on('line', (line) => {
        printed.push(line)
        const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
      void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)))
    })
    expect(printed[0]).toContain('"colours"')
    const ready = await fetch(`${url}/v2/models/colours/ready`)
    expect(ready.status).toBe(200)
    // Metrics and drift are wired in: the run's drift reference was built from its labeled images.
    const drift = await fetch(`${url}/v2/models/colours/drift`)
    expect(drift.status).toBe(200)
    expect(await drift.json()).toMatchObject({ observed: 0, drift: false })
    const metrics = await fetch(`${url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toMatch(/pictor_requests_total\{[^}]*endpoint="health"/)
    // Half of this request's body is sent when SIGTERM arrives, the rest 300 ms later.
    const inFlight = slowPredict(url, await redPng(1), 300)
    await new Promise((resolve) => setTimeout(resolve, 100))
    child.kill('SIGTERM')
    const answer = await inFlight
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ model_name: 'colours', label: 'red' })
    expect(await exited).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(printed.join('\n')).toMatch(/curl --data-binary @photo\.jpg http:\/\/127\.0\.0\.1:\d+\/predict/)
    expect(stderr).toMatch(/SIGTERM: answering the requests in flight/)
  }, 60_000)

  it('refuses another host without a token or --insecure, in one line, before loading the model', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--model', fixture.exported, '--host', '0.0.0.0'], { encoding: 'utf8', env: env(), timeout: 30_000 })
    expect(run.status).toBe(2)
    expect(run.stderr.split('\n')[0]).toMatch(/^pictor serve: --host 0\.0\.0\.0 lets other machines use the model: add --token TOKEN/)
  })

  it('says which flag is wrong', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--model', fixture.exported, '--port', 'http'], { encoding: 'utf8', env: env(), timeout: 30_000 })
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/--port must be a whole number 0-65535, got http/)
  })
})
