// The two sides of `npm run bench:train` part cifar-full (train-bench-cifar-full.ts), each only through
// its outside: Pictor as a user runs it (`pictor create`, `pictor import --json`, `pictor train --json`
// in child processes with a fresh data folder), PyTorch as test/bench/pytorch/seed_cnn_cifar_full.py on
// the split lists. Nothing here reaches into src-main's training code.
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type ChildResult, envInt, PICTOR, percent, PYTHON, ROOT, seconds, tail } from './bench-util'
import type { CifarFullSplit } from './train-bench-cifar-full-data'

const SCRIPT = join(ROOT, 'test', 'bench', 'pytorch', 'seed_cnn_cifar_full.py')

export interface SideResult {
  testAccuracy: number | null
  valAccuracy: number | null
  /** Wall time of the whole command: start-up, decoding, training, validation and test. */
  wallMs: number
  epochs: number
  /** What the side says about itself: backend / threads, images/s, decode time. */
  detail: string
  /** Several runs (seeds) as one: their lowest and highest test accuracy; the fields above are means. */
  testRange?: [number, number]
}

/** One project for both runs: created and imported once (import timed apart from training). */
export interface PictorProject {
  project: string
  env: NodeJS.ProcessEnv
  importMs: number
  imported: { train: number; val: number; test: number }
}

interface EpochLine {
  epoch: number
  loss: number
  accuracy: number
  valAccuracy: number | null
  imagesPerSecond: number
  seconds: number
}

const epochLine = (side: string, e: EpochLine) =>
  `    ${side} epoch ${e.epoch + 1}: loss ${e.loss.toFixed(3)}, acc ${percent(e.accuracy)}, val acc ${percent(e.valAccuracy)}, ` +
  `${e.imagesPerSecond} images/s, ${e.seconds} s`

async function cli(env: NodeJS.ProcessEnv, args: string[], tick?: () => void) {
  const run = await runCommand(process.execPath, [PICTOR, ...args], { env, ...(tick ? { tick } : {}) })
  if (run.code !== 0) throw new Error(`pictor ${args[0]} exited ${run.code ?? run.signal}: ${tail(run.stderr)}`)
  return run
}

export async function importIntoPictor(work: string, split: CifarFullSplit): Promise<PictorProject> {
  const env = { ...process.env, PICTOR_DATA_DIR: join(work, 'data') }
  const project = join(work, 'cifar-full.pictor')
  await cli(env, ['create', project, '--json'])
  console.log(`  pictor import ${split.folder} (${split.counts.train + split.counts.val + split.counts.test} files) …`)
  const run = await cli(env, ['import', split.folder, '--project', project, '--follow-links', '--json'])
  const report = JSON.parse(run.stdout) as { imported: number; failed: number; duplicates: number; splits: { train: number; val: number; test: number } }
  console.log(`  import: ${seconds(run.wallMs)}; imported ${report.imported}, failed ${report.failed}, duplicates ${report.duplicates}; ` +
    `train ${report.splits.train} / val ${report.splits.val} / test ${report.splits.test}`)
  for (const key of ['train', 'val', 'test'] as const) {
    if (report.splits[key] !== split.counts[key]) throw new Error(`pictor import put ${report.splits[key]} images in ${key}, the list has ${split.counts[key]}`)
  }
  return { project, env, importMs: run.wallMs, imported: report.splits }
}

/** The epochs recorded in the project so far (read-only), or null when the file is busy or not readable. */
function recordedEpochs(project: string): EpochLine[] | null {
  try {
    const db = new Database(project, { readonly: true, fileMustExist: true })
    try {
      const rows = db.prepare('SELECT metrics FROM run_epochs ORDER BY run_id, epoch').all() as { metrics: string }[]
      return rows.map((row) => JSON.parse(row.metrics) as EpochLine)
    } finally {
      db.close()
    }
  } catch {
    return null
  }
}

/**
 * Signs of life on a long `pictor train`: each epoch it records in the project (the project's earlier runs
 * excluded), else the elapsed time every two minutes. Reading the project is for this only: the results
 * come from the command's JSON.
 */
function epochPoller(project: string, started: number) {
  let shown = recordedEpochs(project)?.length ?? 0
  const before = shown
  let last = started
  return {
    tick: () => {
      const epochs = recordedEpochs(project)
      if (epochs && epochs.length > shown) {
        for (const epoch of epochs.slice(shown)) console.log(epochLine('Pictor', epoch))
        shown = epochs.length
        last = performance.now()
      } else if (performance.now() - last > 120_000) {
        console.log(`    … pictor train, ${seconds(performance.now() - started)} so far`)
        last = performance.now()
      }
    },
    /** The run's epochs not printed yet (those it recorded after the last tick). */
    rest: (history: EpochLine[]) => history.slice(shown - before).forEach((epoch) => console.log(epochLine('Pictor', epoch)))
  }
}

export async function trainWithPictor(p: PictorProject, epochs: number, augment: boolean): Promise<SideResult> {
  const args = ['train', '--project', p.project, '--model', 'cnn', '--size', '32', '--batch', '64', '--optimizer', 'adam', '--lr', '0.001',
    '--epochs', String(epochs), '--seed', '1', ...(augment ? ['--augment'] : []), '--json']
  console.log(`  pictor ${args.join(' ').replace(p.project, 'PROJECT')}`)
  const started = performance.now()
  const poller = epochPoller(p.project, started)
  const run = await cli(p.env, args, poller.tick)
  const result = JSON.parse(run.stdout) as {
    status: string
    backend: string | null
    epochs: number
    testAccuracy: number | null
    valAccuracy: number | null
    imagesPerSecond: number | null
    history: EpochLine[]
    notes: string[]
  }
  if (result.status !== 'done') throw new Error(`pictor train finished with status ${result.status}`)
  poller.rest(result.history)
  for (const note of result.notes) console.log(`  Pictor note: ${note}`)
  console.log(`  Pictor: test ${percent(result.testAccuracy)} (val ${percent(result.valAccuracy)}) after ${result.epochs} epochs on ${result.backend ?? '?'}, ` +
    `${seconds(run.wallMs)} wall, ${result.imagesPerSecond ?? '—'} images/s in training`)
  return {
    testAccuracy: result.testAccuracy,
    valAccuracy: result.valAccuracy,
    wallMs: run.wallMs,
    epochs: result.epochs,
    detail: `${result.backend ?? '?'} backend, ${result.imagesPerSecond ?? '—'} images/s in training`
  }
}

interface TorchJson {
  skipped?: string
  torch: string
  blas: string
  threads: number
  epochs: number
  counts: { train: number; val: number; test: number }
  decodeSeconds: number
  trainSeconds: number
  imagesPerSecond: number | null
  valAccuracy: number | null
  testAccuracy: number | null
}

/** The PyTorch reference on the same lists; `augment`: Pictor's AugmentOptions, or null. A missing PyTorch is a skip (returned as a string). */
export async function trainWithTorch(split: CifarFullSplit, epochs: number, threads: number, augment: object | null, seed = 1): Promise<SideResult | string> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install -y python3-torch python3-pil)`
  const args = [SCRIPT, '--root', split.root, '--lists', split.lists, '--epochs', String(epochs), '--batch', '64', '--lr', '0.001',
    '--threads', String(threads), '--size', '32', '--seed', String(seed), ...(augment ? ['--augment', JSON.stringify(augment)] : [])]
  console.log(`  PyTorch: seed_cnn_cifar_full.py, ${epochs} epochs, ${threads} threads, seed ${seed}${augment ? `, augment ${JSON.stringify(augment)}` : ''} …`)
  const run = await runCommand(PYTHON, args, {
    // No __pycache__ left in the checkout.
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    onLine: (line) => /^\s+PyTorch epoch/.test(line) && console.log(line)
  })
  if (run.code !== 0) throw new Error(`seed_cnn_cifar_full.py exited ${run.code ?? run.signal}: ${tail(run.stderr, 1000)}`)
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchJson
  if (result.skipped) return result.skipped
  for (const key of ['train', 'val', 'test'] as const) {
    if (result.counts[key] !== split.counts[key]) throw new Error(`PyTorch read ${result.counts[key]} ${key} images, the list has ${split.counts[key]}`)
  }
  console.log(`  PyTorch: test ${percent(result.testAccuracy)} (val ${percent(result.valAccuracy)}) after ${result.epochs} epochs, ${seconds(run.wallMs)} wall ` +
    `(decode ${result.decodeSeconds} s, train ${result.trainSeconds} s, ${result.imagesPerSecond ?? '—'} images/s; torch ${result.torch}, BLAS ${result.blas}, ${result.threads} threads)`)
  return {
    testAccuracy: result.testAccuracy,
    valAccuracy: result.valAccuracy,
    wallMs: run.wallMs,
    epochs: result.epochs,
    detail: `torch ${result.torch} (${result.blas}), ${result.threads} threads, decode ${result.decodeSeconds} s + train ${result.trainSeconds} s, ${result.imagesPerSecond ?? '—'} images/s`
  }
}

/** Minutes one command may run before it is killed (a hung run must not hold the benchmark lock for ever). */
const TIMEOUT_MS = envInt('PICTOR_BENCH_CIFAR_TIMEOUT_MIN', 120) * 60_000

/**
 * runChild, plus: each stderr line handed to `onLine` as it comes (PyTorch's per-epoch lines, live),
 * `tick` every 15 s, and SIGKILL after TIMEOUT_MS (a `pictor train` whose job hangs ignores SIGTERM
 * while it waits to cancel cleanly).
 */
async function runCommand(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; tick?: () => void }): Promise<ChildResult> {
  const started = performance.now()
  const child = spawn(command, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let pending = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    const lines = (pending + chunk).split('\n')
    pending = lines.pop()!
    if (options.onLine) lines.forEach(options.onLine)
  })
  const ticker = options.tick ? setInterval(options.tick, 15_000) : null
  let timedOut = false
  const killer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, TIMEOUT_MS)
  try {
    const [code, signal] = await new Promise<[number | null, string | null]>((done, fail) => {
      child.on('error', fail).on('close', (c, s) => done([c, s]))
    })
    if (pending && options.onLine) options.onLine(pending)
    if (timedOut) throw new Error(`${command} ${args[0] ?? ''} ${args[1] ?? ''} ran past ${TIMEOUT_MS / 60_000} min (PICTOR_BENCH_CIFAR_TIMEOUT_MIN) and was killed`)
    return { code, signal, stdout, stderr, wallMs: performance.now() - started }
  } finally {
    if (ticker) clearInterval(ticker)
    clearTimeout(killer)
  }
}
