// Part 3 of `npm run bench:transfer`: stage 2 (issue 18), fine-tuning the top blocks of MobileNetV2,
// through the product path on the same CIFAR-10 subset as part 2: `pictor create`, `import`, then
// `pictor train --model mobilenetv2 --fine-tune-blocks N --json` (head, then the top N blocks on cached
// block-14 inputs, one run), and the head alone again for comparison (`pictor train --model mobilenetv2`,
// its features already cached). Test accuracy of both; stage 2's time and the images/s of its training
// step (the mean of its epochs' recorded rate: forward + backward + Adam over the training split,
// validation excluded) against PyTorch on the CPU training the same top blocks (bias convs, no batch
// norm: Pictor folds it), on the same cached activations read from the project, the same batch size and
// torch.set_num_threads(T) (test/bench/pytorch/mobilenet_v2_top_train.py): the ratio Pictor / PyTorch.
// Environment: PICTOR_BENCH_FINETUNE_BLOCKS (default 3), PICTOR_BENCH_FINETUNE_EPOCHS (default 10),
// PICTOR_BENCH_FINETUNE_INPUT (an input size; default: the product's 'auto').
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { decodeFloat32LE } from '../../src-main/db/queries/image-features'
import { featureCacheKey, featureShape, type FeatureSpec } from '../../src-main/classifier/features/feature-spec'
import type { TransferInfo } from '../../src-main/classifier/transfer-info'
import type { EpochMetrics } from '../../src-main/contract/types'
import {
  benchThreads, envInt, MODELS_DIR, percent, PICTOR, prepareTransferFolder, PYTHON, ROOT, runChild, seconds, type Settings, SkipError, tail
} from './transfer-bench-common'

const TORCH_TOP_SCRIPT = join(ROOT, 'test', 'bench', 'pytorch', 'mobilenet_v2_top_train.py')
export const STAGE2_ACCURACY_GOAL = 0.75

interface TrainJson {
  runId: number
  status: string
  testAccuracy: number | null
  valAccuracy: number | null
  notes: string[]
}

export interface FineTuneResult {
  train: number
  test: number
  blocks: number
  /** Wall time of the stage-2 run (both stages, both extractions) and of the head-only comparison. */
  wallMs: number
  headWallMs: number
  testAccuracy: number | null
  headTestAccuracy: number | null
  transfer: TransferInfo
  /** Stage 2's epochs: seconds (training + validation) and the mean training images/s. */
  stage2Seconds: number
  stage2ImagesPerSecond: number
  /** PyTorch with T threads (the machine's cores, as part 1) and with 1 (Pictor's wasm backend runs one thread). */
  torch: TorchFigure
  torch1: TorchFigure
}

type TorchFigure = { imagesPerSecond: number; torch: string } | { skipped: string }

async function pictor(args: string[], env: NodeJS.ProcessEnv) {
  const run = await runChild(process.execPath, [PICTOR, ...args], { env, heartbeat: () => console.log(`    … pictor ${args[0]} still running`), everyMs: 60_000 })
  if (run.code !== 0) throw new Error(`pictor ${args[0]} exited ${run.code ?? run.signal}: ${tail(run.stderr || run.stdout)}`)
  return run
}

async function train(project: string, env: NodeJS.ProcessEnv, extra: string[]): Promise<{ wallMs: number; result: TrainJson }> {
  const run = await pictor(['train', '--project', project, '--model', 'mobilenetv2', ...extra, '--json'], env)
  const result = JSON.parse(run.stdout) as TrainJson
  if (result.status !== 'done') throw new Error(`the run ended ${result.status}: ${result.notes.join('; ')}`)
  return { wallMs: run.wallMs, result }
}

/** The run's transfer record and stage-2 epochs, and its training split's cached block-14 inputs written for PyTorch. */
async function readStage2(project: string, runId: number, work: string) {
  const db = new Database(project, { readonly: true, fileMustExist: true })
  try {
    const summary = JSON.parse(db.prepare('SELECT summary FROM training_runs WHERE id = ?').pluck().get(runId) as string) as { transfer: TransferInfo }
    const classNames = JSON.parse(db.prepare('SELECT class_names FROM training_runs WHERE id = ?').pluck().get(runId) as string) as string[]
    const epochs = (db.prepare('SELECT metrics FROM run_epochs WHERE run_id = ? ORDER BY epoch').pluck().all(runId) as string[]).map((m) => JSON.parse(m) as EpochMetrics)
    const spec = summary.transfer.featureSpec as FeatureSpec
    const rows = db
      .prepare(
        `SELECT f.features AS features, c.name AS className FROM images i JOIN labels l ON l.image_id = i.id JOIN classes c ON c.id = l.class_id
         JOIN image_features f ON f.content_hash = i.content_hash AND f.model_version = ? WHERE i.split = 'train' ORDER BY i.id`
      )
      .all(featureCacheKey(summary.transfer.baseModelVersion, spec)) as { features: Buffer; className: string }[]
    const activations = Buffer.concat(rows.map((row) => Buffer.from(decodeFloat32LE(row.features).buffer)))
    const labels = Int32Array.from(rows, (row) => classNames.indexOf(row.className))
    await writeFile(join(work, 'activations.bin'), activations)
    await writeFile(join(work, 'labels.bin'), Buffer.from(labels.buffer))
    return { transfer: summary.transfer, stage2: epochs.filter((epoch) => epoch.stage === 2), classes: classNames.length, shape: featureShape(spec), images: rows.length }
  } finally {
    db.close()
  }
}

async function torchTop(work: string, shape: number[], classes: number, blocks: number, batch: number, threads: number): Promise<TorchFigure> {
  const args = [TORCH_TOP_SCRIPT, '--activations', join(work, 'activations.bin'), '--labels', join(work, 'labels.bin'), '--shape', shape.join(','),
    '--classes', String(classes), '--blocks', String(blocks), '--batch', String(batch), '--epochs', '2', '--threads', String(threads)]
  const run = await runChild(PYTHON, args).catch((error: Error) => ({ error }))
  if ('error' in run) return { skipped: `PyTorch could not run: ${run.error.message}` }
  if (run.code !== 0) throw new Error(`${TORCH_TOP_SCRIPT} exited ${run.code ?? run.signal}: ${tail(run.stderr)}`)
  return JSON.parse(run.stdout) as TorchFigure
}

export async function benchFineTune(settings: Settings): Promise<FineTuneResult> {
  const blocks = envInt('PICTOR_BENCH_FINETUNE_BLOCKS', 3)
  const epochs = envInt('PICTOR_BENCH_FINETUNE_EPOCHS', 10)
  const input = process.env.PICTOR_BENCH_FINETUNE_INPUT ? ['--input-size', process.env.PICTOR_BENCH_FINETUNE_INPUT] : []
  if (blocks < 1 || blocks > 3) throw new SkipError(`PICTOR_BENCH_FINETUNE_BLOCKS must be 1–3, not ${blocks}`)
  const dataset = await prepareTransferFolder(settings.images, settings.test)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-finetune-'))
  try {
    const env = { ...process.env, PICTOR_DATA_DIR: join(work, 'data'), PICTOR_MODELS_DIR: MODELS_DIR }
    const project = join(work, 'finetune.pictor')
    await pictor(['create', project, '--json'], env)
    await pictor(['import', dataset.folder, '--project', project, '--json'], env)
    const fineTuned = await train(project, env, [...input, '--fine-tune-blocks', String(blocks), '--fine-tune-epochs', String(epochs)])
    const head = await train(project, env, input)
    const read = await readStage2(project, fineTuned.result.runId, work)
    const rates = read.stage2.map((epoch) => epoch.imagesPerSecond)
    const batch = read.stage2[0]?.batchSize ?? 64
    console.log(`  stage 2: ${read.stage2.length} epochs; PyTorch on the same ${read.images} cached activations (${read.shape.join('×')}) …`)
    return {
      train: dataset.train,
      test: dataset.test,
      blocks,
      wallMs: fineTuned.wallMs,
      headWallMs: head.wallMs,
      testAccuracy: fineTuned.result.testAccuracy,
      headTestAccuracy: head.result.testAccuracy,
      transfer: read.transfer,
      stage2Seconds: read.stage2.reduce((sum, epoch) => sum + epoch.seconds, 0),
      stage2ImagesPerSecond: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0,
      torch: await torchTop(work, read.shape, read.classes, blocks, batch, benchThreads()),
      torch1: await torchTop(work, read.shape, read.classes, blocks, batch, 1)
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The table rows of part 3. */
export function fineTuneRows(r: FineTuneResult): { part: string; result: string; note: string }[] {
  const f = r.transfer.fineTune
  const spec = r.transfer.featureSpec
  const goal = r.testAccuracy !== null && r.testAccuracy >= STAGE2_ACCURACY_GOAL ? `goal ≥ ${percent(STAGE2_ACCURACY_GOAL)} met` : `goal ≥ ${percent(STAGE2_ACCURACY_GOAL)} NOT met`
  const rate = (figure: TorchFigure) => ('imagesPerSecond' in figure ? figure.imagesPerSecond : null)
  const torchRate = rate(r.torch)
  const torch1Rate = rate(r.torch1)
  return [
    {
      part: `3 test accuracy, stage 2 (top ${r.blocks} blocks) vs head alone (${r.test} test images)`,
      result: `${percent(r.testAccuracy)} vs ${percent(r.headTestAccuracy)}`,
      note: `${goal}; ${spec?.inputSize ?? 224} px; stage 1 validation ${percent(f?.stage1.valAccuracy)}`
    },
    {
      part: '3 pictor train --fine-tune-blocks (both stages, both extractions)',
      result: seconds(r.wallMs),
      note: f
        ? `stage 2: ${f.epochsRun} of ${f.maxEpochs} epochs at Adam ${f.learningRate}${f.learningRateChosen ? ' (chosen)' : ''} in ${r.stage2Seconds.toFixed(1)} s; ` +
          `block-14 inputs ${f.extraction.computed} extracted${f.extraction.imagesPerSecond ? ` at ${f.extraction.imagesPerSecond.toFixed(1)} images/s` : ''}; head alone retrain ${seconds(r.headWallMs)}`
        : 'no fine-tune record'
    },
    {
      part: `3 stage-2 training step, images/s: Pictor (wasm, 1 thread) vs PyTorch CPU ${benchThreads()} threads / 1 thread`,
      result: `${r.stage2ImagesPerSecond.toFixed(0)} vs ${torchRate === null ? '—' : torchRate.toFixed(0)} / ${torch1Rate === null ? '—' : torch1Rate.toFixed(0)}`,
      note: torchRate === null
        ? `PyTorch: ${(r.torch as { skipped: string }).skipped}`
        : `ratio ${(r.stage2ImagesPerSecond / torchRate).toFixed(2)}× (${torch1Rate === null ? '—' : (r.stage2ImagesPerSecond / torch1Rate).toFixed(2)}× per thread); torch ${(r.torch as { torch: string }).torch}; ` +
          'Pictor: mean of the stage-2 epochs as the run recorded them (batches assembled from the cache included)'
    }
  ]
}
