// Part 1 of `npm run bench:train`: training throughput of the seed CNN (32×32×3, batch 64, Adam 1e-3),
// tfjs wasm in this process (the product's trainLoop, one thread: the wasm backend runs one thread in
// Node) against PyTorch on the CPU in a child process with as many threads (the ratio; also
// channels_last), interleaved over several rounds (PICTOR_BENCH_ROUNDS, default 3) because the machine
// is noisy. PyTorch with T threads (every core) is measured beside it as context, without a ratio (it
// does not compare like with like), and tells whether other processes took the CPU. Then where a wasm
// step spends its time (phases and kernels, beside PyTorch's operator profile at the same threads) and
// the cpu backend for reference. Both sides exclude their warm-up steps.
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { BATCH, type LoopTiming, profileWasmStep, type StepProfile, timeTrainLoop } from './train-bench-tfjs'
import { type BenchSettings, benchThreads, fixed, median, PYTHON, runChild, tail, TORCH_SCRIPT } from './train-bench-common'

export const GOAL = 0.5

interface TorchResult {
  threads: number
  layout: string
  stepMs: number[]
  medianStepMs: number
  imagesPerSecond: number
  phasesMs: { forward: number; backward: number; optimizer: number }
}

interface TorchRun {
  skipped?: string
  torch?: string
  blas?: string
  results?: TorchResult[]
  profile?: { name: string; calls: number; selfMs: number }[]
}

/** One PyTorch configuration over all rounds: images/s of its best round and of all its steps pooled. */
export interface TorchFigure {
  config: string
  best: number
  pooled: number
  rounds: number
}

export interface ThroughputResult {
  /** Threads of tfjs wasm (1 in Node), so of the PyTorch reference; T, PyTorch's context run. */
  threads: number
  manyThreads: number
  tfjs: LoopTiming[]
  torchVersion: string | null
  /** images/s: the best round (least disturbed by other load on the machine) and the median of all timed steps. */
  tfjsBest: number
  tfjsPooled: number
  /** '<threads>:nchw' (the reference) and '<T>:nchw' (context) every round, '<threads>:channels_last' round 1. */
  torch: TorchFigure[]
  torchSkipped: string | null
  /** tfjs / PyTorch NCHW at the same threads: best rounds, pooled medians. */
  ratioBest: number | null
  ratioPooled: number | null
  /**
   * What `pictor train` runs for a CNN on wasm: data-parallel over T gradient workers (T = every core),
   * against PyTorch with T threads — the goal (≥ 0.5×). Null on one core.
   */
  parallel: { timings: LoopTiming[]; best: number; pooled: number; ratioBest: number | null; ratioPooled: number | null } | null
  /** Rounds in which PyTorch with T threads lost to 1 thread (CPU contention from other processes). */
  contendedRounds: number
  profile: StepProfile
  cpu: LoopTiming | null
}

async function runTorch(configs: string, settings: BenchSettings, profileThreads: number | null): Promise<TorchRun> {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found (apt-get install -y python3-torch)` }
  const args = [TORCH_SCRIPT, '--configs', configs, '--batch', String(BATCH), '--steps', String(settings.steps), '--warmup', String(settings.warmup)]
  const run = await runChild(PYTHON, profileThreads === null ? args : [...args, '--profile', String(profileThreads)])
  if (run.code !== 0) return { skipped: `the PyTorch script exited ${run.code ?? run.signal}: ${tail(run.stderr, 500)}` }
  return JSON.parse(run.stdout) as TorchRun
}

const imagesPerSecond = (stepMs: number[]) => (BATCH * 1000) / median(stepMs)
const ratioText = (ratio: number | null) => (ratio === null ? '—' : `${ratio.toFixed(2)}×`)
const load = () => `load ${loadavg()[0]!.toFixed(1)}`

function printTorch(round: string, torch: TorchRun): void {
  for (const r of torch.results!) {
    console.log(`  ${round} PyTorch ${torch.torch} CPU ${r.threads} thread(s) ${r.layout}: ${r.imagesPerSecond.toFixed(0)} images/s ` +
      `(median step ${r.medianStepMs.toFixed(1)} ms; forward ${r.phasesMs.forward} / backward ${r.phasesMs.backward} / Adam ${r.phasesMs.optimizer} ms)`)
  }
}

/** Threads the wasm backend runs one trainLoop on (1 in Node: no wasm threads outside a browser). */
function wasmThreads(): number {
  try {
    return getThreadsCount()
  } catch {
    return 1
  }
}

export async function benchThroughput(settings: BenchSettings): Promise<ThroughputResult> {
  const many = benchThreads()
  let threads = 1
  const tfjs: LoopTiming[] = []
  const parallelTimings: LoopTiming[] = []
  const torchRounds: TorchResult[][] = []
  let torchVersion: string | null = null
  let torchSkipped: string | null = null
  for (let round = 1; round <= settings.rounds; round++) {
    const wasm = await timeTrainLoop('wasm', settings.warmup, settings.steps)
    threads = wasmThreads()
    tfjs.push(wasm)
    console.log(`  round ${round} tfjs ${wasm.label} trainLoop, ${threads} thread(s): ${wasm.imagesPerSecond.toFixed(0)} images/s ` +
      `(median step ${wasm.medianStepMs.toFixed(1)} ms over ${wasm.stepMs.length} steps, ${settings.warmup} warm-up steps excluded; ${load()})`)
    if (many > 1) {
      const spread = await timeTrainLoop('wasm', settings.warmup, settings.steps, many)
      parallelTimings.push(spread)
      console.log(`  round ${round} tfjs ${spread.label}: ${spread.imagesPerSecond.toFixed(0)} images/s (median step ${spread.medianStepMs.toFixed(1)} ms; ${load()})`)
    }
    if (torchSkipped) continue
    const configs = [`${threads}:nchw`, ...(many !== threads ? [`${many}:nchw`] : []), ...(round === 1 ? [`${threads}:channels_last`] : [])]
    const torch = await runTorch(configs.join(','), settings, null)
    if (torch.skipped) {
      torchSkipped = torch.skipped
      console.log(`  PyTorch: SKIPPED (${torch.skipped})`)
      continue
    }
    torchVersion = torch.torch ? `${torch.torch}, BLAS ${torch.blas ?? '?'}` : null
    torchRounds.push(torch.results!)
    printTorch(`round ${round}`, torch)
  }
  const torchResults = torchRounds.flat()
  const torch: TorchFigure[] = []
  for (const r of torchResults) {
    const config = `${r.threads}:${r.layout}`
    if (torch.some((f) => f.config === config)) continue
    const all = torchResults.filter((x) => x.threads === r.threads && x.layout === r.layout)
    torch.push({ config, best: Math.max(...all.map((x) => x.imagesPerSecond)), pooled: imagesPerSecond(all.flatMap((x) => x.stepMs)), rounds: all.length })
  }
  const tfjsBest = Math.max(...tfjs.map((t) => t.imagesPerSecond))
  const tfjsPooled = imagesPerSecond(tfjs.flatMap((t) => t.stepMs))
  const reference = torch.find((f) => f.config === `${threads}:nchw`) ?? null
  const ratioBest = reference ? tfjsBest / reference.best : null
  const ratioPooled = reference ? tfjsPooled / reference.pooled : null
  const parallel = parallelFigures(parallelTimings, torch.find((f) => f.config === `${many}:nchw`) ?? null)
  console.log(`  tfjs wasm: best round ${tfjsBest.toFixed(0)} images/s, pooled median ${tfjsPooled.toFixed(0)} images/s`)
  if (torchSkipped) console.log(`  PyTorch: SKIPPED (${torchSkipped})`)
  for (const f of torch) {
    const same = f.config.startsWith(`${threads}:`)
    console.log(`  PyTorch ${f.config}: best round ${f.best.toFixed(0)} images/s, pooled median ${f.pooled.toFixed(0)} images/s` +
      (same ? `; tfjs/PyTorch ${ratioText(tfjsBest / f.best)} (best rounds), ${ratioText(tfjsPooled / f.pooled)} (pooled), ${threads} thread(s) each` : ' (context: more threads than tfjs, no ratio)'))
  }
  console.log(`  ratio tfjs/PyTorch, ${threads} thread(s) each, NCHW: ${ratioText(ratioBest)} best rounds, ${ratioText(ratioPooled)} pooled medians`)
  if (parallel) {
    console.log(`  tfjs wasm data-parallel, ${many} gradient workers (what pictor train runs): best round ${parallel.best.toFixed(0)} images/s, pooled median ${parallel.pooled.toFixed(0)} images/s`)
    console.log(`  ratio tfjs data-parallel/PyTorch, ${many} threads each, NCHW: ${ratioText(parallel.ratioBest)} best rounds, ${ratioText(parallel.ratioPooled)} pooled medians (goal ≥ ${GOAL}×)`)
  }
  // On an idle machine T threads beat 1; when they do not, other processes are taking CPU (OpenMP threads
  // wait for each other): every figure of this run is disturbed.
  const pick = (round: TorchResult[], n: number) => round.find((r) => r.threads === n && r.layout === 'nchw')?.imagesPerSecond ?? 0
  const contended = many > 1 ? torchRounds.filter((round) => pick(round, many) < pick(round, 1)).length : 0
  if (contended > 0) {
    console.log(`  WARNING: PyTorch with ${many} threads was slower than with 1 thread in ${contended} of ${settings.rounds} rounds: other processes ` +
      `are using the CPU (load ${loadavg()[0]!.toFixed(1)}); rerun on an idle machine.`)
  }

  const profile = await profileWasmStep(settings.warmup, 10)
  const torchProfile = torchSkipped ? null : await runTorch(`${threads}:nchw`, { ...settings, steps: 10 }, threads)
  if (torchProfile && !torchProfile.skipped) printTorch('profiling run:', torchProfile)
  printProfile(profile, torchProfile?.skipped ? null : torchProfile)

  // The cpu backend takes about a minute per step: no warm-up step, two timed steps, for reference only.
  const cpu = settings.cpuSteps > 0 ? await timeTrainLoop('cpu', 0, settings.cpuSteps) : null
  if (cpu) {
    console.log(`\n  tfjs ${cpu.label} trainLoop (reference, ${cpu.stepMs.length} steps, no warm-up): ${cpu.imagesPerSecond.toFixed(1)} images/s ` +
      `(steps ${cpu.stepMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s)`)
  } else console.log('\n  tfjs cpu backend: not run (PICTOR_BENCH_CPU=0)')
  return { threads, manyThreads: many, tfjs, torchVersion, tfjsBest, tfjsPooled, torch, torchSkipped, ratioBest, ratioPooled, parallel, contendedRounds: contended, profile, cpu }
}

function parallelFigures(timings: LoopTiming[], reference: TorchFigure | null): ThroughputResult['parallel'] {
  if (timings.length === 0) return null
  const best = Math.max(...timings.map((t) => t.imagesPerSecond))
  const pooled = imagesPerSecond(timings.flatMap((t) => t.stepMs))
  return { timings, best, pooled, ratioBest: reference ? best / reference.best : null, ratioPooled: reference ? pooled / reference.pooled : null }
}

function printProfile(p: StepProfile, torch: TorchRun | null): void {
  const backward = p.forwardBackwardMs - p.forwardMs
  const torchPhases = torch?.results?.[0]?.phasesMs
  console.log(`\n  where a wasm step goes (median of 10 interleaved steps each; PyTorch from its profiling run beside it):`)
  console.log(`    forward + loss read-back ${p.forwardMs.toFixed(1)} ms` + (torchPhases ? ` (PyTorch ${torchPhases.forward} ms)` : ''))
  console.log(`    backward                 ${backward.toFixed(1)} ms` + (torchPhases ? ` (PyTorch ${torchPhases.backward} ms)` : ''))
  console.log(`    Adam update              ${p.updateMs.toFixed(1)} ms` + (torchPhases ? ` (PyTorch ${torchPhases.optimizer} ms)` : ''))
  console.log(`    full minimize step       ${p.fullStepMs.toFixed(1)} ms (sum of the phases ${(p.forwardBackwardMs + p.updateMs).toFixed(1)} ms); profiled step ${p.profiledStepMs.toFixed(1)} ms, of which kernels ` +
    `${p.kernelMs.toFixed(1)} ms and ${(p.profiledStepMs - p.kernelMs).toFixed(1)} ms outside kernels (tape, JS)`)
  console.log(`    tfjs kernels by self time (ms per step; composed kernels exclude the kernels they call):`)
  for (const k of p.kernels.slice(0, 10)) {
    console.log(`      ${k.name.padEnd(30)} ${fixed(k.selfMs, 1).padStart(6)} ms  ${fixed(k.calls, 0).padStart(3)} calls  ${((k.selfMs / p.kernelMs) * 100).toFixed(0)}%`)
  }
  console.log(`    costliest tfjs kernel calls by input shapes:`)
  for (const k of p.detailed.slice(0, 10)) console.log(`      ${k.name} ${k.shapes}: ${fixed(k.selfMs, 1)} ms (${fixed(k.calls, 0)}×)`)
  if (torch?.profile) {
    console.log(`    PyTorch operators by self CPU time (${torch.results?.[0]?.threads ?? '?'} thread(s), ms per step):`)
    for (const op of torch.profile.slice(0, 10)) console.log(`      ${op.name.padEnd(40)} ${fixed(op.selfMs, 2).padStart(6)} ms  ${op.calls} calls`)
  }
}
