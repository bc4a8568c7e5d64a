// How long the integrity check on open costs (issue 13: "PRAGMA quick_check on open, ≤ 200 ms on a
// 100k-image project"), on the UI benchmark's generated 100,000-image project, then on the same
// project once MobileNetV2 features (1,280 float32 per image) are cached in it, the largest thing a
// project holds. Each is opened through the contract (`pictor ui`, project.open over HTTP): with the
// full quick_check, then with it skipped because the file is as this computer last saw it healthy.
//
//   npx tsx test/bench/open-check-bench.ts [--images 100000]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import BetterSqlite3 from 'better-sqlite3'
import { runConditions } from './bench-util'
import { generateProject } from './ui-bench-project'

const { values } = parseArgs({ options: { images: { type: 'string', default: '100000' } } })
const IMAGES = Number(values.images)
const ROUNDS = 5
const PICTOR = resolve(import.meta.dirname, '..', '..', 'bin', 'pictor.js')

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** `pictor ui` in its own process, called over HTTP as the renderer calls it. */
async function startUi(dataDir: string) {
  const child = spawn(process.execPath, [PICTOR, 'ui', '--port', '0'], { env: { ...process.env, PICTOR_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<URL>((done, fail) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
      if (match) done(new URL(match[1]!))
    })
    child.once('exit', (code) => fail(new Error(`pictor ui exited with ${code}`)))
  })
  const call = async (method: string, request: object) => {
    const response = await fetch(`${url.origin}/api/call/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${url.searchParams.get('token')}` },
      body: JSON.stringify(request)
    })
    const envelope = (await response.json()) as { ok: boolean; error?: { message: string } }
    if (!envelope.ok) throw new Error(`${method}: ${envelope.error?.message}`)
  }
  return { call, stop: () => child.kill('SIGTERM') }
}

/** SQLite's quick_check alone, on a read-only connection: the floor under Pictor's full check. */
function bareQuickCheck(path: string): number {
  const db = new BetterSqlite3(path, { readonly: true })
  const times: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now()
    db.pragma('quick_check')
    times.push(performance.now() - started)
  }
  db.close()
  return median(times)
}

/** project.open through the contract: with the check (the file touched since it was last seen), and without. */
async function report(label: string, path: string, dataDir: string): Promise<void> {
  const ui = await startUi(dataDir)
  try {
    const checked: number[] = []
    const skipped: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // A new change time: this computer has not seen the file like this, so it is checked.
      utimesSync(path, new Date(), new Date())
      let started = performance.now()
      await ui.call('project.open', { path })
      checked.push(performance.now() - started)
      await ui.call('project.close', {})
      started = performance.now()
      await ui.call('project.open', { path })
      skipped.push(performance.now() - started)
      await ui.call('project.close', {})
    }
    const megabytes = statSync(path).size / 1_048_576
    console.log(
      `${label.padEnd(30)} ${megabytes.toFixed(0).padStart(5)} MB   quick_check alone ${bareQuickCheck(path).toFixed(0).padStart(4)} ms   ` +
        `project.open checked ${median(checked).toFixed(0).padStart(4)} ms   unchanged since last seen ${median(skipped).toFixed(0).padStart(4)} ms`
    )
  } finally {
    ui.stop()
  }
}

/** Caches 1,280 features per image, as MobileNetV2 training does (one row per content hash). */
function addFeatures(path: string, images: number): void {
  const db = new BetterSqlite3(path)
  const insert = db.prepare("INSERT INTO image_features (content_hash, model_version, features, created_at) VALUES (?, 'mobilenetv2-bench', ?, 1)")
  const features = Buffer.alloc(1280 * 4, 7)
  db.transaction(() => {
    for (let index = 0; index < images; index++) insert.run(`bench-${index}`, features)
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}

const workDir = mkdtempSync(join(tmpdir(), 'pictor-open-check-'))
try {
  const dataDir = join(workDir, 'data')
  const project = await generateProject({ workDir, dataDir, images: IMAGES, thumbnails: 20, thumbnailSize: 64, labeledShare: 0.5 })
  console.log(`Integrity check on open, ${IMAGES} images, median of ${ROUNDS}\n${runConditions({ 'pictor ui': 'one Node process; the check is one SQLite connection (1 thread)' })}`)
  await report('images and labels', project.path, dataDir)
  addFeatures(project.path, IMAGES)
  await report('+ cached MobileNetV2 features', project.path, dataDir)
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
