// The split of `npm run bench:train` part cifar-full (train-bench-cifar-full.ts), written down as lists so
// that Pictor and PyTorch train, validate and test on exactly the same files:
//   <cache>/cifar-full-<train>-<val>-<test>/{train,val,test}.txt   "<class>\t<path under cifar10_jpg>"
//   <cache>/cifar-full-<train>-<val>-<test>/images/{train,val,test}/<class>/<file>   hard links, the folder
//   `pictor import` reads (train/val/test sub-folders name the splits)
// Validation is taken from CIFAR-10's training files: per class, the files ordered by a SHA-1 of a fixed
// salt and their name (deterministic, unrelated to the file numbering); the first `val` are validation,
// the next `train` training. Test files: per class, the first `test` in the same order (all 1,000 by default).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { link, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { CACHE, extractCifar } from './bench-util'

export const SPLITS = ['train', 'val', 'test'] as const
export type Split = (typeof SPLITS)[number]

export interface CifarFullSplit {
  /** The extracted cifar10_jpg folder the lists' paths are relative to. */
  root: string
  /** Where train.txt, val.txt and test.txt are. */
  lists: string
  /** The Keras-layout folder of hard links that `pictor import` reads. */
  folder: string
  classes: string[]
  counts: Record<Split, number>
}

/** Images per class in each split; CIFAR-10 has 5,000 training and 1,000 test images per class. */
export interface PerClass {
  train: number
  val: number
  test: number
}

const SALT = 'pictor-bench-cifar-full-1'
const order = (files: string[]) =>
  files
    .map((name) => ({ name, key: createHash('sha1').update(`${SALT}/${name}`).digest('hex') }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ name }) => name)

async function jpegs(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => /\.jpe?g$/i.test(name)).sort()
}

/** Writes the lists and the linked folder once per size (reused by later runs); returns where they are. */
export async function prepareCifarFull(perClass: PerClass): Promise<CifarFullSplit> {
  const root = await extractCifar()
  const classes = (await readdir(join(root, 'train'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const lists: Record<Split, string[]> = { train: [], val: [], test: [] }
  for (const name of classes) {
    const train = order(await jpegs(join(root, 'train', name)))
    const test = order(await jpegs(join(root, 'test', name)))
    if (perClass.val + perClass.train > train.length || perClass.test > test.length) {
      throw new Error(`${name}: ${train.length} training and ${test.length} test files, fewer than ${perClass.val}+${perClass.train} and ${perClass.test} asked`)
    }
    const add = (split: Split, source: 'train' | 'test', files: string[]) => files.forEach((file) => lists[split].push(`${name}\t${source}/${name}/${file}`))
    add('val', 'train', train.slice(0, perClass.val))
    add('train', 'train', train.slice(perClass.val, perClass.val + perClass.train))
    add('test', 'test', test.slice(0, perClass.test))
  }
  const counts = { train: lists.train.length, val: lists.val.length, test: lists.test.length }
  const base = join(CACHE, `cifar-full-${counts.train}-${counts.val}-${counts.test}`)
  const folder = join(base, 'images')
  const marker = join(base, 'complete')
  const expected = `${SALT} ${counts.train + counts.val + counts.test}`
  if (!(existsSync(marker) && readFileSync(marker, 'utf8') === expected)) {
    console.log(`  writing the split lists and ${counts.train + counts.val + counts.test} links under ${base} …`)
    await rm(base, { recursive: true, force: true })
    for (const split of SPLITS) {
      for (const line of lists[split]) {
        const [name, path] = line.split('\t') as [string, string]
        const target = join(folder, split, name, path.split('/').pop()!)
        await mkdir(dirname(target), { recursive: true })
        await link(join(root, path), target).catch(() => symlink(join(root, path), target))
      }
      await writeFile(join(base, `${split}.txt`), `${lists[split].join('\n')}\n`)
    }
    await writeFile(marker, expected)
  }
  return { root, lists: base, folder, classes, counts }
}
