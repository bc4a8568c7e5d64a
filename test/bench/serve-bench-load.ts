// The server and the load of `npm run bench:serve`: `pictor serve` started as a user starts it (the built
// CLI, its own process, so its RSS is its own), and a bounded closed-loop load generator on node:http
// with a keep-alive agent: `concurrency` clients, each sending its next request when the previous one is
// answered, until `requests` have been sent. No new dependency: node:http is what undici/autocannon
// would do here, minus their parsing overhead.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { PICTOR, ROOT } from './bench-util'

export interface ServerProcess {
  url: string
  pid: number
  /** The server's resident set in bytes (/proc, else its own process_resident_memory_bytes). */
  rss(): Promise<number>
  /** One sample of a metric from GET /metrics (the first series, or the one with these labels). */
  metric(name: string, labels?: Record<string, string>): Promise<number | null>
  /** SIGTERM, then waits for the exit; its exit code (the server drains and exits 0). */
  stop(): Promise<number | null>
  output(): string
}

export async function startServer(exportDir: string, flags: string[], env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [PICTOR, 'serve', '--model', exportDir, '--port', '0', ...flags], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`pictor serve printed no URL in 120 s:\n${output}`)), 120_000)
    const look = () => {
      const found = /https?:\/\/[0-9.:[\]a-z]+:\d+/i.exec(output)
      if (found) {
        clearTimeout(timer)
        done(found[0])
      }
    }
    child.stdout!.on('data', look)
    child.stderr!.on('data', look)
    void exited.then((code) => fail(new Error(`pictor serve exited ${code} before printing a URL:\n${output}`)))
  })
  const text = async () => (await send(url, { method: 'GET', path: '/metrics' })).body
  const server: ServerProcess = {
    url,
    pid: child.pid!,
    async rss() {
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (kb) return Number(kb[1]) * 1024
      } catch {
        // not Linux: ask the server
      }
      return (await server.metric('process_resident_memory_bytes')) ?? Number.NaN
    },
    async metric(name, labels = {}) {
      for (const line of (await text()).split('\n')) {
        const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line)
        if (!match || match[1] !== name) continue
        if (Object.entries(labels).every(([k, v]) => match[2]?.includes(`${k}="${v}"`))) return Number(match[3])
      }
      return null
    },
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    output: () => output
  }
  return server
}

export interface Answer {
  status: number
  body: string
  seconds: number
}

export function send(url: string, options: { method: 'GET' | 'POST'; path: string; body?: Buffer; contentType?: string; agent?: Agent }): Promise<Answer> {
  const started = performance.now()
  return new Promise((done, fail) => {
    const req = httpRequest(
      new URL(options.path, url),
      {
        method: options.method,
        // A lone request gets a connection of its own (Node 20's global agent keeps sockets alive).
        agent: options.agent ?? false,
        headers: options.body ? { 'content-type': options.contentType ?? 'application/octet-stream', 'content-length': options.body.length } : {}
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), seconds: (performance.now() - started) / 1000 }))
        res.on('error', fail)
      }
    )
    req.on('error', fail)
    req.end(options.body)
  })
}

export interface LoadResult {
  concurrency: number
  requests: number
  /** Latency per request in seconds, in the order sent. */
  latencies: number[]
  answers: { index: number; status: number; body: string }[]
  wallSeconds: number
  requestsPerSecond: number
}

/**
 * `requests` POSTs from `concurrency` closed-loop clients; `bodyFor(i)` gives request i's body. Every
 * answer is kept (status and body), so the caller can check each one against what it sent.
 */
export async function load(url: string, path: string, concurrency: number, requests: number, bodyFor: (index: number) => Buffer, contentType?: string): Promise<LoadResult> {
  // A keep-alive agent per run, with a socket per client, destroyed at the end: a socket left idle between
  // runs is closed by the server's keep-alive timeout and would hang up under the next run's first request.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const latencies = new Array<number>(requests)
  const answers: LoadResult['answers'] = []
  let next = 0
  const started = performance.now()
  const client = async () => {
    for (let index = next++; index < requests; index = next++) {
      const answer = await send(url, { method: 'POST', path, body: bodyFor(index), agent, ...(contentType ? { contentType } : {}) })
      latencies[index] = answer.seconds
      answers.push({ index, status: answer.status, body: answer.body })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client)).finally(() => agent.destroy())
  const wallSeconds = (performance.now() - started) / 1000
  return { concurrency, requests, latencies, answers, wallSeconds, requestsPerSecond: requests / wallSeconds }
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

export const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`
