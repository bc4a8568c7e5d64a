// Shared bits of `npm run bench:transfer` and `bench:infer` (see transfer-bench.ts): paths, settings
// from the environment, the CIFAR-10 folders, cold starts (ONNX feature graphs found on disk, the base
// model's folder left untouched), child processes with a heartbeat, formatting.
export * from './bench-util'
import { CACHE, envInt, extractCifar, ROOT, SkipError } from './bench-util'
import { existsSync, readFileSync } from 'node:fs'
import { link, mkdir, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { BASE_MODEL_ID } from '../../src-main/classifier/features/base-model'

export const TORCH_SCRIPT = join(ROOT, 'test', 'bench', 'pytorch', 'mobilenet_v2_features.py')
/** $PICTOR_MODELS_DIR when set, else the shared checkout's copy of the base model. */
export const MODELS_DIR = resolve(ROOT, process.env.PICTOR_MODELS_DIR || join('..', 'shared', 'models', 'mobilenet_v2'))
export const MODEL_JSON = join(MODELS_DIR, BASE_MODEL_ID, 'model.json')


export interface Settings {
  /** Training images of the one-click run (class-balanced) and test images. */
  images: number
  test: number
  /** Labels changed before the retrain. */
  relabel: number
  /** Interleaved Pictor / PyTorch rounds in part 1, and timed batches per round. */
  rounds: number
  batches: number
  parts: Set<string>
}

export function readSettings(): Settings {
  const parts = (process.env.PICTOR_BENCH_TRANSFER_PARTS ?? 'extract,oneclick,finetune').split(',').map((p) => p.trim()).filter(Boolean)
  return {
    images: envInt('PICTOR_BENCH_TRANSFER_IMAGES', 2000),
    test: envInt('PICTOR_BENCH_TRANSFER_TEST', 500),
    relabel: envInt('PICTOR_BENCH_TRANSFER_RELABEL', 50),
    rounds: envInt('PICTOR_BENCH_TRANSFER_ROUNDS', 2),
    batches: envInt('PICTOR_BENCH_TRANSFER_BATCHES', 4),
    parts: new Set(parts)
  }
}

/** The base model's model.json, or SkipError. */
export function requireBaseModel(): string {
  if (!existsSync(MODEL_JSON)) {
    throw new SkipError(`base model not found at ${MODEL_JSON} (set PICTOR_MODELS_DIR, or is ../shared present?)`)
  }
  return MODEL_JSON
}


async function listImages(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).filter((name) => /\.jpe?g$/i.test(name)).sort()
  return names.map((name) => join(folder, name))
}

export async function cifarClasses(root: string): Promise<string[]> {
  return (await readdir(join(root, 'train'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
}

/** `count` files of one CIFAR split, class-balanced (first files of each class folder, round robin). */
export async function balancedFiles(root: string, split: 'train' | 'test', count: number): Promise<{ src: string; className: string }[]> {
  const classes = await cifarClasses(root)
  const lists = await Promise.all(classes.map((name) => listImages(join(root, split, name))))
  const picked: { src: string; className: string }[] = []
  for (let i = 0; picked.length < count && lists.some((list) => i < list.length); i++) {
    lists.forEach((list, c) => {
      if (picked.length < count && list[i]) picked.push({ src: list[i]!, className: classes[c]! })
    })
  }
  return picked
}

export interface TransferFolder {
  folder: string
  classes: string[]
  train: number
  test: number
}

/**
 * A Keras-layout folder of hard links into the extraction: train/<class>/ with `train` class-balanced
 * CIFAR-10 training images and test/<class>/ with `test` class-balanced CIFAR-10 test images. No val/:
 * the importer's folder splits win, so the project has no validation split.
 */
export async function prepareTransferFolder(train: number, test: number): Promise<TransferFolder> {
  const root = await extractCifar()
  const classes = await cifarClasses(root)
  const links = [
    ...(await balancedFiles(root, 'train', train)).map(({ src, className }) => ({ src, rel: join('train', className, src.split('/').pop()!) })),
    ...(await balancedFiles(root, 'test', test)).map(({ src, className }) => ({ src, rel: join('test', className, src.split('/').pop()!) }))
  ]
  const counts = { train: links.filter((l) => l.rel.startsWith('train/')).length, test: links.filter((l) => l.rel.startsWith('test/')).length }
  const folder = join(CACHE, `transfer-cifar10-${counts.train}-${counts.test}`)
  const marker = `${folder}.complete`
  if (!(existsSync(marker) && readFileSync(marker, 'utf8') === String(links.length))) {
    await rm(folder, { recursive: true, force: true })
    for (const { src, rel } of links) {
      const target = join(folder, rel)
      await mkdir(dirname(target), { recursive: true })
      await link(src, target).catch(() => symlink(src, target))
    }
    await writeFile(marker, String(links.length))
  }
  return { folder, classes, ...counts }
}

/**
 * What the base model's folder holds (each file's name, size and modification time): taken before a run
 * and compared after it by assertModelsUntouched, so a benchmark shows it wrote nothing into the models
 * folder (../shared is meant to be read-only; derived files go to the data folder's cache).
 */
export async function modelsSnapshot(): Promise<string> {
  const folder = dirname(requireBaseModel())
  const names = (await readdir(folder)).sort()
  const stats = await Promise.all(names.map((name) => stat(join(folder, name))))
  return names.map((name, i) => `${name} ${stats[i]!.size} ${stats[i]!.mtimeMs}`).join('\n')
}

export async function assertModelsUntouched(before: string): Promise<void> {
  const after = await modelsSnapshot()
  if (after !== before) throw new Error(`the run wrote into the base model's folder ${dirname(MODEL_JSON)}:\nbefore\n${before}\nafter\n${after}`)
}

/** The app's cached ONNX feature graphs: `features-<weights hash>[-<spec>].onnx` (in `<data folder>/cache`; the spec for any input size, boundary or precision but the default). */
const FEATURE_GRAPH = /^features-[0-9a-f]+(-\d+-[a-z0-9_]+-[a-z0-9]+)?\.onnx$/

/** Every ONNX feature graph under these folders (searched to any depth; missing folders are empty). */
export async function featureGraphs(...folders: string[]): Promise<string[]> {
  const found: string[] = []
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (FEATURE_GRAPH.test(entry.name)) found.push(path)
    }
  }
  for (const folder of folders) await walk(folder)
  return found.sort()
}
