// `npm run bench:infer` part 4 (issue 18): what each input size costs and gives on CIFAR-10 (32 px images):
// one project (`pictor create` + `import` of the 2,000 + 500 subset), then per size and round
// `pictor train --model mobilenetv2 --input-size S --json` with the feature cache emptied first, so every
// run extracts all its features. Test accuracy, extraction time and the whole train's wall time per size;
// the figures 'auto' (src-main/transfer/feature-choice.ts) was chosen from.
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { InputSize } from '../../src-main/classifier/features/feature-spec'
import { median, MODELS_DIR, PICTOR, prepareTransferFolder, runChild, tail } from './transfer-bench-common'
import type { Row } from './infer-bench-rows'

export interface SizeRun {
  size: InputSize
  testAccuracy: number[]
  extractSeconds: number[]
  trainSeconds: number[]
  loads: number[]
}

export async function benchSizes(options: { train: number; test: number; sizes: InputSize[]; rounds: number }): Promise<SizeRun[]> {
  const dataset = await prepareTransferFolder(options.train, options.test)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-sizes-'))
  const env = { ...process.env, PICTOR_DATA_DIR: join(work, 'data'), PICTOR_MODELS_DIR: MODELS_DIR }
  const project = join(work, 'sizes.pictor')
  const pictor = async (args: string[]) => {
    const run = await runChild(process.execPath, [PICTOR, ...args], { env })
    if (run.code !== 0) throw new Error(`pictor ${args[0]} exited ${run.code ?? run.signal}: ${tail(run.stderr || run.stdout)}`)
    return run
  }
  const runs = options.sizes.map((size): SizeRun => ({ size, testAccuracy: [], extractSeconds: [], trainSeconds: [], loads: [] }))
  try {
    await pictor(['create', project, '--json'])
    await pictor(['import', dataset.folder, '--project', project, '--json'])
    for (let round = 0; round < options.rounds; round++) {
      for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
        const db = new Database(project)
        db.exec('DELETE FROM image_features')
        db.close()
        run.loads.push(loadavg()[0]!)
        const train = await pictor(['train', '--project', project, '--model', 'mobilenetv2', '--input-size', String(run.size), '--json'])
        const result = JSON.parse(train.stdout) as { runId: number; testAccuracy: number | null }
        const read = new Database(project, { readonly: true })
        const summary = JSON.parse(read.prepare('SELECT summary FROM training_runs WHERE id = ?').pluck().get(result.runId) as string) as {
          transfer: { extraction: { computed: number; imagesPerSecond: number | null } }
        }
        read.close()
        const { computed, imagesPerSecond } = summary.transfer.extraction
        run.testAccuracy.push(result.testAccuracy ?? Number.NaN)
        run.extractSeconds.push(imagesPerSecond ? computed / imagesPerSecond : Number.NaN)
        run.trainSeconds.push(train.wallMs / 1000)
        console.log(`  ${run.size} px round ${round + 1} (load average ${run.loads.at(-1)!.toFixed(2)}): test ${((result.testAccuracy ?? 0) * 100).toFixed(1)}%, ` +
          `extraction ${run.extractSeconds.at(-1)!.toFixed(1)} s, train ${run.trainSeconds.at(-1)!.toFixed(1)} s`)
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return runs
}

export function sizeRows(runs: SizeRun[], dataset: string): Row[] {
  const at224 = runs.find((run) => run.size === 224)
  return runs.map((run) => {
    const accuracy = median(run.testAccuracy) * 100
    const delta = at224 && run !== at224 ? `, ${(accuracy - median(at224.testAccuracy) * 100).toFixed(1)} points vs 224 px` : ''
    const time = at224 && run !== at224 ? `, extraction ${(median(run.extractSeconds) / median(at224.extractSeconds)).toFixed(2)}× 224 px's` : ''
    return {
      part: `4 ${run.size} px one-click on ${dataset}`,
      result: `test ${accuracy.toFixed(1)}%${delta}`,
      note: `extraction ${median(run.extractSeconds).toFixed(1)} s${time}, train ${median(run.trainSeconds).toFixed(1)} s (medians of ${run.testAccuracy.length}; ` +
        `load average ${Math.min(...run.loads).toFixed(2)}–${Math.max(...run.loads).toFixed(2)})`
    }
  })
}
