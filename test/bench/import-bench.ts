// `npm run bench:import`: Pictor's real import path (`pictor import --json`, a fresh data dir so the
// thumbnail cache is cold) against a plain sharp loop doing the same work per file — read, SHA-256,
// one decode at thumbnail size, the perceptual hash and the WebP thumbnail from those pixels, the
// thumbnail written — with the same number of files in flight on the same libuv pool (both sides
// keep both cores busy). Rounds alternate which side goes first; the ratio is of the medians.
// Datasets are cached under os.tmpdir()/pictor-bench.
//   PICTOR_BENCH_CIFAR_LIMIT=N  import only N class-balanced CIFAR-10 training files (default: all)
//   PICTOR_BENCH_LARGE=N        number of generated 4000×3000 JPEGs (default 500)
//   PICTOR_BENCH_ROUNDS=N       rounds per dataset (default 3)
//   PICTOR_BENCH_CLI=PATH       the built cli.js to run (default out/main/cli.js)
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { link, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp, { type Sharp } from 'sharp'
import { Worker } from 'node:worker_threads'
import { THUMBNAIL_SIZE } from '../../src-main/import/image-analysis'
import { decodeLine, loadLine, median, runConditions } from './bench-util'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
// The built CLI itself: bin/pictor.js would rebuild first, inside the timed run, whenever a source
// changed since `npm run build` (which bench:import runs first). PICTOR_BENCH_CLI names a copy of
// out/main/cli.js instead (a checkout shared with builds that may replace out/ mid-run).
const PICTOR = process.env.PICTOR_BENCH_CLI ? resolve(process.env.PICTOR_BENCH_CLI) : join(ROOT, 'out', 'main', 'cli.js')
const ARCHIVE = resolve(ROOT, '..', 'shared', 'datasets', 'cifar10-jpg.tar.gz')
const CACHE = join(tmpdir(), 'pictor-bench')
/** What importFolder uses by default: files in flight, and decode threads (workers/import-worker.ts). */
const LANES = Math.max(2, availableParallelism() * 2)
const THREADS = availableParallelism()
const REFERENCE_WORKER = new URL('./import-bench-reference.ts', import.meta.url)
/** Both sides decode with sharp, LANES files in flight, on libuv's pool (same size in both processes). */
const SIDES = {
  Pictor: `pictor import (${relative(ROOT, PICTOR)}) in a child process: ${THREADS} decode threads, ${LANES} files in flight, ${decodeLine()}; ` +
    'also walks the folder, writes rows in batched transactions, thumbnails write-then-rename, reads large images\' headers for their size',
  reference: `a sharp loop on ${THREADS} threads of this process: ${LANES} files in flight, ${decodeLine()}; per file: read, SHA-256, ` +
    `one decode (rotate, shrink to ≤${THUMBNAIL_SIZE} px, 8-bit sRGB raw), dHash of those pixels, WebP (q80, effort 2) from them, write it`
}
const TARGET = 0.9
const ROUNDS = envCount('PICTOR_BENCH_ROUNDS', 3)!
const LARGE_W = 4000
const LARGE_H = 3000

sharp.cache(false) // as Pictor's image-analysis does

type Order = 'reference first' | 'Pictor first'
interface Dataset { name: string; folder: string; files: string[]; order: Order }
interface PictorRun { wallMs: number; reportMs: number; imported: number; failed: number; duplicates: number; peakRssMiB: number | null }
interface Result { dataset: Dataset; pictor: PictorRun[]; referenceMs: number[] }

function envCount(name: string, fallback: number | null): number | null {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return value
}

async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(folder, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path)))
    else if (/\.jpe?g$/i.test(entry.name)) out.push(path)
  }
  return out
}

/** A folder of hard links (symlinks where linking fails) to `files`, at the given relative paths. */
async function linkFolder(folder: string, files: { src: string; rel: string }[]): Promise<string> {
  const marker = `${folder}.complete`
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(files.length)) return folder
  await rm(folder, { recursive: true, force: true })
  for (const { src, rel } of files) {
    const target = join(folder, rel)
    await mkdir(dirname(target), { recursive: true })
    await link(src, target).catch(() => symlink(src, target))
  }
  await writeFile(marker, String(files.length))
  return folder
}

async function prepareCifar(limit: number | null): Promise<Dataset | string> {
  if (!existsSync(ARCHIVE)) return `${ARCHIVE} not found (is ../shared present?)`
  const extracted = join(CACHE, 'cifar10')
  if (!existsSync(join(CACHE, 'cifar10.complete'))) {
    console.log(`extracting ${ARCHIVE} → ${extracted} …`)
    await rm(extracted, { recursive: true, force: true })
    await mkdir(extracted, { recursive: true })
    const tar = spawnSync('tar', ['-xzf', ARCHIVE, '-C', extracted], { stdio: 'inherit' })
    if (tar.status !== 0) return `tar -xzf failed (exit ${tar.status ?? tar.signal})`
    await writeFile(join(CACHE, 'cifar10.complete'), 'ok')
  }
  const train = join(extracted, 'cifar10_jpg', 'train')
  const classes = (await readdir(train, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const perClass = await Promise.all(classes.map((name) => listFiles(join(train, name))))
  const total = perClass.reduce((sum, list) => sum + list.length, 0)
  if (limit === null || limit >= total) return { name: 'CIFAR-10 train', folder: train, files: perClass.flat(), order: 'reference first' }
  const picked: { src: string; rel: string }[] = []
  for (let i = 0; picked.length < limit; i++) {
    perClass.forEach((list, c) => {
      if (picked.length < limit && list[i]) picked.push({ src: list[i]!, rel: `${classes[c]}/${list[i]!.split('/').pop()}` })
    })
  }
  const folder = await linkFolder(join(CACHE, `cifar10-train-${limit}`), picked)
  return { name: `CIFAR-10 train (first ${limit})`, folder, files: picked.map((p) => join(folder, p.rel)), order: 'reference first' }
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A smooth random colour field (tiny noise image upscaled) with finer texture blended on top. */
async function generatePhoto(index: number, path: string): Promise<void> {
  const random = mulberry32(index + 1)
  const noise = (width: number, height: number) => {
    const data = Buffer.alloc(width * height * 3)
    for (let k = 0; k < data.length; k++) data[k] = Math.floor(random() * 256)
    return sharp(data, { raw: { width, height, channels: 3 } })
  }
  const upscaled = (image: Sharp) => image.resize(LARGE_W, LARGE_H, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer()
  const [base, detail] = await Promise.all([
    upscaled(noise(12 + (index % 9), 9 + (index % 7))),
    upscaled(noise(400 + (index % 5) * 100, 300 + (index % 5) * 75))
  ])
  const raw = { width: LARGE_W, height: LARGE_H, channels: 3 as const }
  const temporary = `${path}.tmp`
  await sharp(base, { raw }).composite([{ input: detail, raw, blend: 'soft-light' }]).jpeg({ quality: 85 }).toFile(temporary)
  await rename(temporary, path)
}

async function prepareLarge(count: number): Promise<Dataset> {
  const pool = join(CACHE, `large-${LARGE_W}x${LARGE_H}`)
  await mkdir(pool, { recursive: true })
  const names = Array.from({ length: count }, (_, i) => `IMG_${String(i).padStart(4, '0')}.jpg`)
  const missing = names.map((name, i) => ({ i, path: join(pool, name) })).filter((f) => !existsSync(f.path))
  if (missing.length > 0) {
    console.log(`generating ${missing.length} ${LARGE_W}×${LARGE_H} JPEGs in ${pool} (once; about 1 s each on 2 cores) …`)
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: availableParallelism() }, async () => {
      while (next < missing.length) {
        const { i, path } = missing[next++]!
        await generatePhoto(i, path)
        if (next % 50 === 0) console.log(`  ${next}/${missing.length} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
      }
    }))
  }
  const folder = await linkFolder(join(CACHE, `large-${count}`), names.map((name) => ({ src: join(pool, name), rel: name })))
  return { name: `large ${LARGE_W}×${LARGE_H} JPEG`, folder, files: names.map((name) => join(folder, name)), order: 'Pictor first' }
}

async function inLanes(files: string[], lanes: number, work: (file: string) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < files.length) await work(files[next++]!)
  }))
}

async function warmUp(files: string[]): Promise<number> {
  let bytes = 0
  await inLanes(files, 16, async (file) => {
    const length = (await readFile(file)).length
    bytes += length
  })
  return bytes
}

/** The reference on THREADS threads (as Pictor's import decodes), each with its share of the lanes. */
async function runReference(files: string[]): Promise<number> {
  const out = await mkdtemp(join(tmpdir(), 'pictor-bench-ref-'))
  try {
    const started = performance.now()
    const shares = Array.from({ length: THREADS }, (_, t) => ({
      files: files.filter((_, i) => i % THREADS === t),
      lanes: Math.ceil(LANES / THREADS),
      out
    }))
    // tsx does not follow into workers: each registers its loader, then imports the .ts entry.
    const api = import.meta.resolve('tsx/esm/api')
    const boot = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(REFERENCE_WORKER.href)}) })`
    const hashed = await Promise.all(shares.map((share) => new Promise<number>((done, fail) => {
      const worker = new Worker(boot, { eval: true, workerData: share })
      worker.once('message', (hashes: number) => void worker.terminate().then(() => done(hashes)))
      worker.once('error', fail)
    })))
    const hashes = hashed.reduce((sum, count) => sum + count, 0)
    if (hashes !== files.length) throw new Error(`reference hashed ${hashes} of ${files.length} files`)
    return performance.now() - started
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}

function peakRss(pid: number | undefined): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Number(kb) / 1024 : null
  } catch {
    return null
  }
}

async function runPictor(dataset: Dataset): Promise<PictorRun> {
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-run-'))
  try {
    const env = { ...process.env, PICTOR_DATA_DIR: join(work, 'data') }
    const project = join(work, 'bench.pictor')
    const created = spawnSync(process.execPath, [PICTOR, 'create', project, '--json'], { cwd: ROOT, env, encoding: 'utf8' })
    if (created.status !== 0) throw new Error(`pictor create failed (${created.status}): ${created.stderr}`)

    const started = performance.now()
    const child = spawn(process.execPath, [PICTOR, 'import', dataset.folder, '--project', project, '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    let peakRssMiB: number | null = null
    const poll = setInterval(() => (peakRssMiB = peakRss(child.pid) ?? peakRssMiB), 100) // VmHWM only grows
    const code = await new Promise<number | null>((done, fail) => child.on('error', fail).on('close', (c) => done(c)))
    clearInterval(poll)
    const wallMs = performance.now() - started
    if (code !== 0) throw new Error(`pictor import exited ${code}: ${stderr.slice(-2000)}`)
    const report = JSON.parse(stdout) as { imported: number; failed: number; duplicates: number; durationMs: number; errors: { path: string; code: string }[] }
    if (report.imported + report.failed !== dataset.files.length) {
      throw new Error(`imported ${report.imported} + failed ${report.failed} ≠ ${dataset.files.length} files`)
    }
    if (report.failed > 0) console.log(`  note: ${report.failed} failed, e.g. ${JSON.stringify(report.errors.slice(0, 3))}`)
    return { wallMs, reportMs: report.durationMs, imported: report.imported, failed: report.failed, duplicates: report.duplicates, peakRssMiB }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

const rate = (count: number, ms: number) => (count * 1000) / ms
const verdict = (ratio: number) => (ratio >= TARGET ? 'PASS' : 'BELOW TARGET')

const pictorLine = (run: PictorRun, count: number) => {
  const rss = run.peakRssMiB === null ? 'n/a' : `${run.peakRssMiB.toFixed(0)} MiB`
  return `${(run.wallMs / 1000).toFixed(2)} s wall (${(run.reportMs / 1000).toFixed(2)} s inside the import job), ` +
    `${rate(count, run.wallMs).toFixed(1)} images/s; imported ${run.imported}, failed ${run.failed}, duplicates ${run.duplicates}; peak RSS ${rss}`
}

async function bench(dataset: Dataset): Promise<Result> {
  const count = dataset.files.length
  console.log(`\n== ${dataset.name}: ${count} files in ${dataset.folder}`)
  const bytes = await warmUp(dataset.files)
  console.log(`  warm-up read pass (untimed): ${(bytes / 2 ** 20).toFixed(1)} MiB; ${ROUNDS} rounds, alternating which side goes first`)
  const result: Result = { dataset, pictor: [], referenceMs: [] }
  for (let round = 0; round < ROUNDS; round++) {
    // The machine is shared: alternating the order spreads drift and cache effects over both sides.
    const sides = (round + (dataset.order === 'reference first' ? 0 : 1)) % 2 === 0 ? ['reference', 'pictor'] : ['pictor', 'reference']
    for (const side of sides) {
      if (side === 'reference') {
        const ms = await runReference(dataset.files)
        result.referenceMs.push(ms)
        console.log(`  round ${round + 1} reference: ${(ms / 1000).toFixed(2)} s, ${rate(count, ms).toFixed(1)} images/s (${loadLine()})`)
      } else {
        const run = await runPictor(dataset)
        result.pictor.push(run)
        console.log(`  round ${round + 1} Pictor:    ${pictorLine(run, count)} (${loadLine()})`)
      }
    }
  }
  const { ratio, jobRatio } = ratios(result)
  console.log(`  median ratio Pictor/reference: ${ratio.toFixed(2)} wall, ${jobRatio.toFixed(2)} inside the job (target ≥ ${TARGET}) ${verdict(ratio)}`)
  return result
}

/** Throughput ratios of the medians: whole command (wall) and the import job alone (no CLI start). */
function ratios({ pictor, referenceMs }: Result) {
  const reference = median(referenceMs)
  return { ratio: reference / median(pictor.map((run) => run.wallMs)), jobRatio: reference / median(pictor.map((run) => run.reportMs)) }
}

async function main(): Promise<void> {
  const cifarLimit = envCount('PICTOR_BENCH_CIFAR_LIMIT', null)
  const largeCount = envCount('PICTOR_BENCH_LARGE', 500)!
  console.log(`import benchmark: node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), cache ${CACHE}\n${runConditions(SIDES)}`)
  await mkdir(CACHE, { recursive: true })
  const results: Result[] = []
  const cifar = await prepareCifar(cifarLimit)
  if (typeof cifar === 'string') console.log(`\nSKIPPED: CIFAR-10 dataset (${cifar})`)
  else results.push(await bench(cifar))
  results.push(await bench(await prepareLarge(largeCount)))

  console.log(`\n${runConditions(SIDES)}`)
  console.log('\n| dataset | files | rounds | Pictor s (median) | Pictor img/s | in-job s | ref s (median) | ref img/s | ratio (wall) | ratio (in job) | peak RSS | result |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const result of results) {
    const { dataset, pictor, referenceMs } = result
    const n = dataset.files.length
    const wall = median(pictor.map((run) => run.wallMs))
    const job = median(pictor.map((run) => run.reportMs))
    const reference = median(referenceMs)
    const { ratio, jobRatio } = ratios(result)
    const peaks = pictor.map((run) => run.peakRssMiB).filter((mib): mib is number => mib !== null)
    const rss = peaks.length === 0 ? 'n/a' : `${Math.max(...peaks).toFixed(0)} MiB`
    console.log(`| ${dataset.name} | ${n} | ${pictor.length} | ${(wall / 1000).toFixed(2)} | ${rate(n, wall).toFixed(1)} | ${(job / 1000).toFixed(2)} | ` +
      `${(reference / 1000).toFixed(2)} | ${rate(n, reference).toFixed(1)} | ${ratio.toFixed(2)} | ${jobRatio.toFixed(2)} | ${rss} | ${verdict(ratio)} |`)
  }
}

main().catch((error: unknown) => {
  console.error('import benchmark crashed:', error)
  process.exit(1)
})
