// Datasets for `npm run bench:train`, as folders in the Keras layout the importer reads as splits:
// <root>/train/<class>/…, <root>/val/<class>/…, <root>/test/<class>/…, cached under os.tmpdir()/pictor-bench.
// CIFAR-10: hard links into the extracted ../shared/datasets/cifar10-jpg.tar.gz (shared with bench:import).
// Fashion-MNIST: PNG files written from Debian's dataset-fashion-mnist idx files.
import { existsSync, readFileSync } from 'node:fs'
import { link, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import sharp from 'sharp'
import { CACHE, extractCifar, SkipError } from './bench-util'
import { FMNIST_DIR } from './train-bench-common'


export interface SplitFolder {
  name: string
  folder: string
  classes: string[]
  /** Images per split (all classes together). */
  counts: { train: number; val: number; test: number }
}

/** Held-out validation images per class: a tenth of the training count, at least one. */
export const valCount = (trainPerClass: number) => Math.max(1, Math.ceil(trainPerClass / 10))

const complete = (folder: string, expected: string) =>
  existsSync(`${folder}.complete`) && readFileSync(`${folder}.complete`, 'utf8') === expected

async function listImages(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort()
  return names.map((name) => join(folder, name))
}

/**
 * CIFAR-10 with `trainPerClass` training images per class (the first ones of each class folder), the
 * next valCount(trainPerClass) as validation, and the first `testPerClass` test images per class.
 */
export async function prepareCifar(trainPerClass: number, testPerClass: number): Promise<SplitFolder> {
  const root = await extractCifar()
  const classes = (await readdir(join(root, 'train'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const links: { src: string; rel: string }[] = []
  const counts = { train: 0, val: 0, test: 0 }
  for (const name of classes) {
    const train = await listImages(join(root, 'train', name))
    const test = await listImages(join(root, 'test', name))
    const val = Math.min(valCount(trainPerClass), Math.floor(train.length / 2))
    const used = Math.min(trainPerClass, train.length - val)
    const pick = (split: keyof typeof counts, files: string[]) => {
      for (const src of files) links.push({ src, rel: join(split, name, src.split('/').pop()!) })
      counts[split] += files.length
    }
    pick('train', train.slice(0, used))
    pick('val', train.slice(used, used + val))
    pick('test', test.slice(0, testPerClass))
  }
  const folder = join(CACHE, `cifar10-splits-${counts.train}-${counts.val}-${counts.test}`)
  if (!complete(folder, String(links.length))) {
    await rm(folder, { recursive: true, force: true })
    for (const { src, rel } of links) {
      const target = join(folder, rel)
      await mkdir(dirname(target), { recursive: true })
      await link(src, target).catch(() => symlink(src, target))
    }
    await writeFile(`${folder}.complete`, String(links.length))
  }
  return { name: 'CIFAR-10', folder, classes, counts }
}

const FMNIST_CLASSES = ['T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot']

/** An idx file (gzip): images [n, rows, cols] uint8 or labels [n] uint8. */
async function readIdx(path: string): Promise<{ dims: number[]; data: Uint8Array }> {
  const bytes = gunzipSync(await readFile(path))
  const magic = bytes.readUInt32BE(0)
  if (magic >> 8 !== 0x08) throw new Error(`${path}: not an unsigned-byte idx file (magic ${magic.toString(16)})`)
  const dims = Array.from({ length: magic & 0xff }, (_, i) => bytes.readUInt32BE(4 + i * 4))
  const offset = 4 + dims.length * 4
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, bytes.length - offset) }
}

/** Fashion-MNIST as PNG files, the same selection rule as prepareCifar, from the idx files in FMNIST_DIR. */
export async function prepareFashionMnist(trainPerClass: number, testPerClass: number): Promise<SplitFolder> {
  const file = (name: string) => join(FMNIST_DIR, name)
  const needed = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
  const missing = needed.filter((name) => !existsSync(file(name)))
  if (missing.length) throw new SkipError(`${missing.map(file).join(', ')} not found (apt-get install -y dataset-fashion-mnist)`)
  const val = valCount(trainPerClass)
  const folder = join(CACHE, `fashion-mnist-splits-${trainPerClass}-${val}-${testPerClass}`)
  const plan: { split: 'train' | 'val' | 'test'; index: number; source: 'train' | 't10k'; label: number }[] = []
  const counts = { train: 0, val: 0, test: 0 }
  const sources = { train: await loadIdxPair('train'), t10k: await loadIdxPair('t10k') }
  for (const source of ['train', 't10k'] as const) {
    const seen = new Array<number>(FMNIST_CLASSES.length).fill(0)
    const { labels } = sources[source]
    for (let index = 0; index < labels.length; index++) {
      const label = labels[index]!
      const k = seen[label]!++
      const split = source === 't10k' ? (k < testPerClass ? 'test' : null) : k < trainPerClass ? 'train' : k < trainPerClass + val ? 'val' : null
      if (split) {
        plan.push({ split, index, source, label })
        counts[split]++
      }
    }
  }
  if (!complete(folder, String(plan.length))) {
    console.log(`writing ${plan.length} Fashion-MNIST PNG files to ${folder} …`)
    await rm(folder, { recursive: true, force: true })
    for (const split of ['train', 'val', 'test']) for (const name of FMNIST_CLASSES) await mkdir(join(folder, split, name), { recursive: true })
    let next = 0
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < plan.length) {
        const { split, index, source, label } = plan[next++]!
        const { images, rows, cols } = sources[source]
        const pixels = images.subarray(index * rows * cols, (index + 1) * rows * cols)
        const target = join(folder, split, FMNIST_CLASSES[label]!, `${source}-${String(index).padStart(5, '0')}.png`)
        await sharp(pixels, { raw: { width: cols, height: rows, channels: 1 } }).png().toFile(target)
      }
    }))
    await writeFile(`${folder}.complete`, String(plan.length))
  }
  return { name: 'Fashion-MNIST', folder, classes: FMNIST_CLASSES, counts }

  async function loadIdxPair(prefix: 'train' | 't10k') {
    const images = await readIdx(file(`${prefix}-images-idx3-ubyte.gz`))
    const labels = await readIdx(file(`${prefix}-labels-idx1-ubyte.gz`))
    if (images.dims[0] !== labels.dims[0]) throw new Error(`${prefix}: ${images.dims[0]} images but ${labels.dims[0]} labels`)
    return { images: images.data, rows: images.dims[1]!, cols: images.dims[2]!, labels: labels.data }
  }
}
