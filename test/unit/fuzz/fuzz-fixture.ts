import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { followJob } from '../../../src-main/cli/job-session'
import { unwrap } from '../../../src-main/cli/output'
import { ERROR_CODES, type Envelope } from '../../../src-main/contract/envelope'
import type { JobProgress } from '../../../src-main/contract/types'
import { defaultDataDir } from '../../../src-main/core/data-dir'
import { createServices, type Services } from '../../../src-main/services/services'
import { splitGroups, writeGroups } from '../../helpers/training-project'
import type { FuzzWorld } from './hostile-values'

// The world the contract fuzz runs in: a real project (real images, classes, a trained run) in a
// temp folder, real services, and the checks made after every call.

export interface Finding {
  kind: 'INTERNAL' | 'threw' | 'bad envelope' | 'not JSON' | 'hung' | 'job crashed' | 'job did not stop' | 'wrote outside'
  method: string
  request: string
  detail: string
}

/** A request as one short line: enough to reproduce it (huge strings are abbreviated). */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'number' && !Number.isFinite(item)) return `<${item}>`
    if (typeof item === 'string' && item.length > 120) return `${item.slice(0, 40)}…<${item.length} chars>`
    if (Array.isArray(item) && item.length > 20) return `[${item.slice(0, 5).join(',')},…<${item.length} items>]`
    return item
  })
  return text === undefined ? String(value) : text.slice(0, 600)
}

/** Builds the project: 28 small PNGs in train/val/test folders of two classes, imported, and one trained run. */
export async function buildWorld(root: string): Promise<FuzzWorld & { projectPath: string; dataDir: string }> {
  const work = join(root, 'work')
  const images = join(work, 'images')
  mkdirSync(images, { recursive: true })
  await writeGroups(images, splitGroups({ train: [8, 8], val: [3, 3], test: [3, 3] }))
  // Odd things a path may name: links into /dev and /etc, a pipe, a text file posing as a project.
  symlinkSync('/dev/zero', join(work, 'link-to-dev-zero'))
  symlinkSync('/etc', join(work, 'link-to-etc'))
  spawnSync('mkfifo', [join(work, 'fifo')])
  writeFileSync(join(work, 'not-a-project.pictor'), 'not a database\n')

  const dataDir = join(root, 'data')
  const projectPath = join(work, 'project.pictor')
  const services = createServices({ dataDir, transport: 'cli' })
  try {
    unwrap(await services.call('project.create', { path: projectPath, name: 'Fuzz' }))
    const never = new AbortController().signal
    await followJob(services, async () => unwrap(await services.call('import.start', { folder: images })), () => {}, never)
    const settings = { epochs: 1, imageSize: 18, batchSize: 8, backend: 'wasm' as const }
    const { outcome } = await followJob(services, async () => unwrap(await services.call('train.start', { settings })), () => {}, never)
    if (outcome.state !== 'done') throw new Error(`the fuzz project's training run ended ${outcome.state}: ${outcome.message}`)
    const imageIds = unwrap(await services.call('images.query', { status: 'all' })).ids
    const classIds = unwrap(await services.call('classes.list', {})).map((entry) => entry.id)
    const runIds = unwrap(await services.call('runs.list', {})).map((run) => run.id)
    return { root, imageIds, classIds, runIds, projectPath, dataDir }
  } finally {
    services.close()
  }
}

/** Every entry below `dir` (relative paths), or null when it does not exist. */
export function listTree(dir: string): string[] | null {
  if (!existsSync(dir)) return null
  return (readdirSync(dir, { recursive: true }) as string[]).sort()
}

/**
 * Where a careless path could land outside the test's folder: the default data folder, `/`, and
 * `/dev` (before issue 13, project.create {"path":"/dev/null"} created /dev/null.pictor).
 */
export function outsideSnapshot(): Record<string, string[] | null> {
  const env = { ...process.env }
  delete env.PICTOR_DATA_DIR
  const homeData = defaultDataDir(env)
  return { [homeData]: listTree(homeData), '/': readdirSync('/').sort(), '/dev': readdirSync('/dev').sort() }
}

/** What /dev held when the fuzz began (devices come and go rarely; a new name there is ours). */
const DEV_BASELINE = new Set(readdirSync('/dev'))

const CALL_LIMIT_MS = 30_000
const JOB_STOP_LIMIT_MS = 30_000

/**
 * Calls one method through the real dispatcher and records anything the contract promises never
 * happens: a throw past the dispatcher, an envelope of the wrong shape or not serialisable as JSON,
 * INTERNAL, a call that never answers. Jobs it started are cancelled and awaited.
 */
export async function checkedCall(
  services: Services,
  method: string,
  request: unknown,
  findings: Finding[],
  sentinel: string
): Promise<Envelope<unknown> | null> {
  const record = (kind: Finding['kind'], detail: string) => findings.push({ kind, method, request: show(request), detail })
  let envelope: Envelope<unknown>
  try {
    envelope = await withTimeout(services.dispatch(method, request), CALL_LIMIT_MS)
  } catch (error) {
    record(error instanceof CallTimeout ? 'hung' : 'threw', String((error as Error)?.stack ?? error).slice(0, 400))
    return null
  }
  const shapeOk =
    envelope !== null &&
    typeof envelope === 'object' &&
    (envelope.ok === true
      ? 'value' in envelope
      : envelope.ok === false && (ERROR_CODES as readonly string[]).includes(envelope.error?.code) && typeof envelope.error.message === 'string' && envelope.error.message.length > 0)
  if (!shapeOk) record('bad envelope', show(envelope))
  else if (!envelope.ok && envelope.error.code === 'INTERNAL') record('INTERNAL', envelope.error.message.slice(0, 300))
  try {
    JSON.stringify(envelope)
  } catch (error) {
    record('not JSON', String(error))
  }
  await stopJobs(services, (detail) => record('job did not stop', detail))
  // The working directory is an empty folder of the test's: anything there came from a path taken
  // as relative. Named with the call that wrote it, then cleared so the next call is judged alone.
  const stray = readdirSync(sentinel)
  if (stray.length > 0) {
    record('wrote outside', `created ${stray.map((name) => JSON.stringify(name)).join(', ')} in the working directory`)
    for (const name of stray) rmSync(join(sentinel, name), { recursive: true, force: true })
  }
  // Devices are refused as paths; a file beside one (/dev/null.pictor) is just as wrong.
  const devices = readdirSync('/dev').filter((name) => !DEV_BASELINE.has(name))
  if (devices.length > 0) {
    record('wrote outside', `created ${devices.map((name) => `/dev/${name}`).join(', ')}`)
    for (const name of devices) {
      // Ours (a project file and its companions): removed, so a second such call is caught too.
      if (/\.pictor(-wal|-shm|-journal)?$/.test(name)) rmSync(join('/dev', name), { force: true })
      else DEV_BASELINE.add(name)
    }
  }
  return envelope
}

/** Cancels every running job and waits for it to end (a fuzzed start must not keep training for minutes). */
export async function stopJobs(services: Services, onStuck: (detail: string) => void): Promise<void> {
  const started = Date.now()
  for (;;) {
    const listed = await services.dispatch('jobs.list', {})
    const running = listed.ok ? (listed.value as JobProgress[]).filter((job) => job.state === 'running') : []
    if (running.length === 0) return
    if (Date.now() - started > JOB_STOP_LIMIT_MS) {
      onStuck(running.map((job) => `${job.kind}: ${job.message}`).join('; '))
      return
    }
    for (const job of running) await services.dispatch('jobs.cancel', { jobId: job.jobId })
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Job ends that are bugs rather than answers: a crashed worker or an unexpected failure. */
export function watchJobCrashes(services: Services, findings: Finding[]): () => void {
  return services.events.subscribe((event) => {
    if (event.name !== 'job.progress') return
    const job = event.payload as JobProgress
    if (job.state === 'failed' && /the job crashed|stopped unexpectedly|failed unexpectedly/i.test(job.message)) {
      findings.push({ kind: 'job crashed', method: job.kind, request: '(job)', detail: job.message.slice(0, 300) })
    }
  })
}

class CallTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeout(`no answer in ${ms} ms`)), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

export function freshServices(dataDir: string): Services {
  return createServices({ dataDir, transport: 'cli' })
}
