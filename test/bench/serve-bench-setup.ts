// What `npm run bench:serve` serves and sends: a MobileNetV2 run trained through the product path
// (`pictor create`, `import`, `train --model mobilenetv2`, `export --format onnx` into a temporary
// folder), and the request bodies: a CIFAR-10 JPEG as stored (32×32), a 224×224 JPEG and a 1024 px
// photo made from the base model's test photos, and corrupt images (a JPEG whose header is garbage).
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { bmpToPng } from '../helpers/mobilenet'
import { MODELS_DIR, PICTOR, prepareTransferFolder, requireBaseModel, runChild, seconds, SkipError, tail } from './transfer-bench-common'

export interface ServedRun {
  project: string
  runId: number
  /** The export folder: model.onnx + metadata.json (what the server and the in-process reference load). */
  exportDir: string
  env: NodeJS.ProcessEnv
  testAccuracy: number | null
}

export interface BenchImage {
  /** For table rows: "CIFAR-10 JPEG 32×32", … */
  name: string
  bytes: Buffer
}

async function pictor(args: string[], env: NodeJS.ProcessEnv) {
  const run = await runChild(process.execPath, [PICTOR, ...args], { env })
  if (run.code !== 0) throw new Error(`pictor ${args.join(' ')} exited ${run.code ?? run.signal}: ${tail(run.stderr || run.stdout)}`)
  return run
}

/** Trains a small MobileNetV2 run on CIFAR-10 in `work` and exports it as ONNX (the model is what matters here, not its accuracy). */
export async function trainServedRun(work: string, trainImages: number, testImages: number): Promise<ServedRun> {
  requireBaseModel()
  const dataset = await prepareTransferFolder(trainImages, testImages)
  const env = { ...process.env, PICTOR_DATA_DIR: join(work, 'data'), PICTOR_MODELS_DIR: MODELS_DIR }
  const project = join(work, 'serve.pictor')
  const started = performance.now()
  await pictor(['create', project, '--json'], env)
  await pictor(['import', dataset.folder, '--project', project, '--json'], env)
  const trained = JSON.parse((await pictor(['train', '--project', project, '--model', 'mobilenetv2', '--json'], env)).stdout) as {
    runId: number
    status: string
    testAccuracy: number | null
    notes: string[]
  }
  if (trained.status !== 'done') throw new Error(`the run ended ${trained.status}: ${trained.notes.join('; ')}`)
  // `pictor export --out DIR` writes one folder per format: DIR/onnx/{model.onnx,metadata.json,…}.
  const exportDir = join(work, 'export', 'onnx')
  await pictor(['export', '--project', project, '--run', String(trained.runId), '--format', 'onnx', '--out', join(work, 'export'), '--json'], env)
  if (!existsSync(join(exportDir, 'model.onnx'))) throw new Error(`the export wrote no model.onnx into ${exportDir}`)
  console.log(`  MobileNetV2 run ${trained.runId} trained on ${dataset.train} CIFAR-10 images and exported in ${seconds(performance.now() - started)} ` +
    `(test accuracy ${trained.testAccuracy === null ? '—' : `${(trained.testAccuracy * 100).toFixed(1)}%`})`)
  return { project, runId: trained.runId, exportDir, env, testAccuracy: trained.testAccuracy }
}

/** The three request images: CIFAR-10 as stored, a 224×224 JPEG (the model's own size) and a 1024 px photo. */
export async function benchImages(cifarRoot: string): Promise<BenchImage[]> {
  const photos = join(MODELS_DIR, 'test_images')
  const bmp = (name: string) => join(photos, name)
  if (!existsSync(bmp('cat.bmp')) || !existsSync(bmp('grace_hopper.bmp'))) throw new SkipError(`test photos not found in ${photos} (is ../shared present?)`)
  const cifar = join(cifarRoot, 'test', 'cat')
  const cifarName = existsSync(cifar) ? (await readdir(cifar)).filter((n) => n.endsWith('.jpg')).sort()[0] : undefined
  if (!cifarName) throw new SkipError(`no CIFAR-10 test JPEG in ${cifar}`)
  const cat = await bmpToPng(await readFile(bmp('cat.bmp')))
  const grace = await bmpToPng(await readFile(bmp('grace_hopper.bmp')))
  const photo = await sharp(grace).resize({ width: 1024, height: 1024, fit: 'inside', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toBuffer()
  const photoMeta = await sharp(photo).metadata()
  return [
    { name: 'CIFAR-10 JPEG 32×32', bytes: await readFile(join(cifar, cifarName)) },
    { name: 'JPEG 224×224', bytes: await sharp(cat).resize(224, 224, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer() },
    { name: `photo ${photoMeta.width}×${photoMeta.height} JPEG`, bytes: photo }
  ]
}

/** A corrupt image: a real JPEG's first bytes (its SOI marker), then garbage where the header should be. */
export function corruptImage(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 4), randomBytes(Math.max(256, jpeg.length - 4))])
}

/** Which of `count` requests carry a corrupt image: `share` of them, spread evenly (deterministic, so the check is exact). */
export function corruptIndexes(count: number, share: number): Set<number> {
  const every = Math.max(1, Math.round(1 / share))
  const picked = new Set<number>()
  for (let i = every >> 1; i < count; i += every) picked.add(i)
  return picked
}
