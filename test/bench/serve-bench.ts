// `npm run bench:serve`: `pictor serve` under load. Prints figures and ratios, not pass/fail; exits 0
// unless something crashed (a missing dataset or base model is printed as SKIPPED with the reason).
//   0. a MobileNetV2 run to serve: trained on CIFAR-10 through the product path and exported as ONNX
//   1. the in-process reference: that model.onnx on onnxruntime-node called directly at batch sizes 1, 8
//      and 32, model only (end to end with sharp decoding is measured in part 2 beside each load run;
//      see serve-bench-reference.ts)
//   2. the server (the built CLI, `pictor serve --model EXPORT --port 0`) under a closed-loop load of
//      POST /predict (raw image bytes) at concurrency 1, 8 and 32, with a CIFAR-10 JPEG (32×32), a 224×224
//      JPEG and a 1024 px photo: p50/p99 latency, requests/s, the server's mean batch (from its /metrics),
//      and its throughput against the reference end to end at the same batch size, measured just before
//      the load run (the serving overhead)
//   3. a soak: 10,000 requests at concurrency 8, 1 % of them corrupt images → errors exactly for those,
//      and the server's RSS growth; then SIGTERM, which should drain and exit 0
// Goals (printed, not asserted): p99 ≤ 25 ms at concurrency 1 with the 224×224 JPEG; throughput at
// concurrency 32 ≥ 0.8× the in-process reference.
// Environment (all optional):
//   PICTOR_MODELS_DIR=DIR                 the base model (default ../shared/models/mobilenet_v2)
//   PICTOR_BENCH_SERVE_PARTS=list         reference,load,soak (default all)
//   PICTOR_BENCH_SERVE_REQUESTS=N         requests per load run in part 2 (default 400)
//   PICTOR_BENCH_SERVE_SOAK=N             requests in part 3 (default 10000)
//   PICTOR_BENCH_SERVE_CONCURRENCY=list   default 1,8,32
//   PICTOR_BENCH_SERVE_MAX_BATCH=N, PICTOR_BENCH_SERVE_BATCH_DELAY_MS=N   the server's flags (default 32, 5)
//   PICTOR_BENCH_SERVE_TRAIN=N, PICTOR_BENCH_SERVE_TEST=N                 the served run's data (default 500, 100)
// Threads: T = the cores this process may use, for ONNX Runtime on both sides; the load generator runs
// in this process, on the same cores as the server (run under `taskset` to separate them).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BenchTable, benchThreads, decodeLine, envInt, extractCifar, runConditions, seconds, SkipError } from './bench-util'
import { load, ms, quantile, send, startServer, type ServerProcess } from './serve-bench-load'
import { loadReference, type ReferenceFigure, type ReferenceModel } from './serve-bench-reference'
import { benchImages, corruptImage, corruptIndexes, trainServedRun, type BenchImage, type ServedRun } from './serve-bench-setup'

const P99_GOAL_S = 0.025
const RATIO_GOAL = 0.8
const CORRUPT_SHARE = 0.01

type Row = { part: string; result: string; note: string }
const table = new BenchTable<Row>({ part: 'benchmark', result: 'result', note: 'note' }, (part, result, note) => ({ part, result, note }))

const parts = new Set((process.env.PICTOR_BENCH_SERVE_PARTS ?? 'reference,load,soak').split(',').map((p) => p.trim()))
const concurrencies = (process.env.PICTOR_BENCH_SERVE_CONCURRENCY ?? '1,8,32').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)
const maxBatch = envInt('PICTOR_BENCH_SERVE_MAX_BATCH', 32)
const batchDelayMs = process.env.PICTOR_BENCH_SERVE_BATCH_DELAY_MS ?? '5'
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

async function main(): Promise<void> {
  const t = benchThreads()
  Object.assign(table.sides, {
    'pictor serve': `ONNX Runtime ${t} intra-op thread(s), --max-batch ${maxBatch} --batch-delay-ms ${batchDelayMs}; decoding: ${decodeLine()}`,
    'in-process reference': `ONNX Runtime ${t} intra-op thread(s); decoding: ${decodeLine()}`,
    'load generator': `node:http keep-alive clients in the benchmark's process, sharing the server's cores`
  })
  console.log(`serve benchmark: node ${process.version}\n${runConditions(table.sides)}`)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-serve-'))
  let run: ServedRun | null = null
  let images: BenchImage[] = []
  // Also measured in part 2, end to end, just before each load run: the machine is often shared, and a
  // ratio of two figures taken minutes apart would measure the other users as much as the server.
  let reference: ReferenceModel | null = null
  const requireRun = () => {
    if (!run) throw new SkipError('no run to serve (part 0 did not finish)')
    return run
  }
  try {
    await table.part('0. a MobileNetV2 run to serve (CIFAR-10, exported as ONNX)', async () => {
      const trained = await trainServedRun(work, envInt('PICTOR_BENCH_SERVE_TRAIN', 500), envInt('PICTOR_BENCH_SERVE_TEST', 100))
      images = await benchImages(await extractCifar())
      run = trained
      table.rows.push({ part: '0 served run', result: `run ${trained.runId}`, note: `images: ${images.map((i) => `${i.name} (${(i.bytes.length / 1024).toFixed(1)} KiB)`).join(', ')}` })
    })
    if (parts.has('reference')) {
      await table.part(`1. in-process ONNX Runtime reference, model only, batch ${concurrencies.join('/')}`, async () => {
        reference = await loadReference(requireRun().exportDir, t)
        const one = await reference.decode(images[0]!.bytes)
        for (const batch of concurrencies) {
          const m = await reference.modelOnly(batch, one, 64)
          table.rows.push({ part: `1 reference model only, batch ${batch}`, result: `${m.imagesPerSecond.toFixed(1)} images/s`, note: `${ms(m.medianBatchSeconds)} per batch (median)` })
        }
      })
    }
    let server: ServerProcess | null = null
    const requireServer = async () => {
      server ??= await startServer(requireRun().exportDir, ['--name', 'bench', '--max-batch', String(maxBatch), '--batch-delay-ms', batchDelayMs], requireRun().env)
      return server
    }
    try {
      if (parts.has('load')) {
        const requests = envInt('PICTOR_BENCH_SERVE_REQUESTS', 400)
        await table.part(`2. pictor serve, POST /predict, ${requests} requests per run, concurrency ${concurrencies.join('/')}`, async () => {
          const s = await requireServer()
          console.log(`  server at ${s.url} (pid ${s.pid})`)
          for (const image of images) {
            await load(s.url, '/predict', maxBatch, maxBatch * 2, () => image.bytes) // warm-up: every batch size the runs below reach
            for (const concurrency of concurrencies) {
              const before = reference ? await reference.endToEnd(concurrency, image.bytes, 64) : undefined
              await loadRow(s, image, concurrency, requests, before)
            }
          }
        })
      }
      if (parts.has('soak')) {
        const count = envInt('PICTOR_BENCH_SERVE_SOAK', 10_000)
        await table.part(`3. ${count} requests at concurrency 8, ${CORRUPT_SHARE * 100} % corrupt`, async () => {
          const s = await requireServer()
          await soak(s, images[0]!, count)
        })
      }
    } finally {
      const s = server as ServerProcess | null
      if (s) {
        const started = performance.now()
        const code = await s.stop()
        const note = code === 0 ? 'drained and exited 0' : `exited ${code}: ${s.output().slice(-500)}`
        table.rows.push({ part: 'SIGTERM', result: seconds(performance.now() - started), note })
      }
    }
  } finally {
    await (reference as ReferenceModel | null)?.release()
    await rm(work, { recursive: true, force: true })
  }
  table.print()
}

/** One load run: latency, throughput, the server's mean batch over the run, and the ratio to the reference. */
async function loadRow(s: ServerProcess, image: BenchImage, concurrency: number, requests: number, reference: ReferenceFigure | undefined): Promise<void> {
  const batches = async () => ({ sum: (await s.metric('pictor_batch_size_sum')) ?? Number.NaN, count: (await s.metric('pictor_batch_size_count')) ?? Number.NaN })
  const before = await batches()
  const r = await load(s.url, '/predict', concurrency, requests, () => image.bytes)
  const after = await batches()
  const failed = r.answers.filter((a) => a.status !== 200)
  if (failed.length) throw new Error(`${failed.length} of ${requests} requests failed, e.g. ${failed[0]!.status} ${failed[0]!.body.slice(0, 200)}`)
  const labels = new Set(r.answers.map((a) => a.body.match(/"label"\s*:\s*"([^"]*)"/)?.[1] ?? '?'))
  const p50 = quantile(r.latencies, 0.5)
  const p99 = quantile(r.latencies, 0.99)
  const meanBatch = (after.sum - before.sum) / (after.count - before.count)
  const notes = [`p50 ${ms(p50)}, p99 ${ms(p99)}`, Number.isFinite(meanBatch) ? `mean batch ${meanBatch.toFixed(1)}` : 'mean batch — (no /metrics)', `label${labels.size === 1 ? '' : 's'} ${[...labels].join(', ')}`]
  if (reference) notes.push(`${(r.requestsPerSecond / reference.imagesPerSecond).toFixed(2)}× in-process end to end at batch ${concurrency} (${reference.imagesPerSecond.toFixed(1)} images/s)`)
  if (concurrency === 1 && image.name.includes('224')) notes.push(p99 <= P99_GOAL_S ? `goal p99 ≤ ${ms(P99_GOAL_S)} met` : `goal p99 ≤ ${ms(P99_GOAL_S)} NOT met`)
  if (concurrency === 32 && reference) notes.push(r.requestsPerSecond >= RATIO_GOAL * reference.imagesPerSecond ? `goal ≥ ${RATIO_GOAL}× met` : `goal ≥ ${RATIO_GOAL}× NOT met`)
  console.log(`  ${image.name}, concurrency ${concurrency}: ${r.requestsPerSecond.toFixed(1)} requests/s; ${notes.join('; ')}`)
  table.rows.push({ part: `2 ${image.name}, concurrency ${concurrency}`, result: `${r.requestsPerSecond.toFixed(1)} requests/s`, note: notes.join('; ') })
}

/** `count` requests, 1 % corrupt: each corrupt one must fail with a 4xx and a JSON code, every other one answer 200. */
async function soak(s: ServerProcess, image: BenchImage, count: number): Promise<void> {
  const corrupt = corruptIndexes(count, CORRUPT_SHARE)
  const bad = corruptImage(image.bytes)
  await load(s.url, '/predict', 8, 64, () => image.bytes)
  const rssBefore = await s.rss()
  let shown = 0
  const progress = setInterval(() => console.log(`    … ${++shown * 30} s`), 30_000)
  const r = await load(s.url, '/predict', 8, count, (i) => (corrupt.has(i) ? bad : image.bytes)).finally(() => clearInterval(progress))
  const rssAfter = await s.rss()
  const wrong = r.answers.filter((a) => {
    if (!corrupt.has(a.index)) return a.status !== 200
    if (a.status < 400 || a.status >= 500) return true
    try {
      return typeof (JSON.parse(a.body) as { code?: unknown }).code !== 'string'
    } catch {
      return true
    }
  })
  const codes = new Map<number, number>()
  for (const a of r.answers) codes.set(a.status, (codes.get(a.status) ?? 0) + 1)
  const statusLine = [...codes].sort(([a], [b]) => a - b).map(([code, n]) => `${n}× ${code}`).join(', ')
  const health = await send(s.url, { method: 'GET', path: '/v2/health/ready' })
  table.rows.push(
    {
      part: `3 ${count} requests (${corrupt.size} corrupt), concurrency 8, ${image.name}`,
      result: wrong.length === 0 ? 'errors exactly for the corrupt images' : `${wrong.length} answers WRONG`,
      note: `${statusLine}; ${r.requestsPerSecond.toFixed(1)} requests/s, p50 ${ms(quantile(r.latencies, 0.5))}, p99 ${ms(quantile(r.latencies, 0.99))}; ready after: ${health.status}` +
        (wrong.length ? `; e.g. request ${wrong[0]!.index}: ${wrong[0]!.status} ${wrong[0]!.body.slice(0, 160)}` : '')
    },
    { part: '3 server RSS', result: `${mb(rssAfter - rssBefore)} growth`, note: `${mb(rssBefore)} after warm-up → ${mb(rssAfter)} after ${count} requests` }
  )
}

main().catch((error: unknown) => {
  console.error('serve benchmark crashed:', error)
  process.exit(1)
})
