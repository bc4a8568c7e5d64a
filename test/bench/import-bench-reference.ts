// One thread of the import benchmark's reference: a plain sharp loop over its share of the files
// (every Nth), with its share of the files in flight. Started by import-bench.ts, one per core.
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import sharp from 'sharp'
import { DEFAULT_LIMITS, THUMBNAIL_SIZE } from '../../src-main/import/image-analysis'
import { differenceHash, type RawImage } from '../../src-main/import/perceptual-hash'

export interface ReferenceShare { files: string[]; lanes: number; out: string }

sharp.cache(false) // as Pictor's image-analysis does

/**
 * The work an import cannot avoid, written as plainly as sharp allows: read, SHA-256, one decode to
 * thumbnail-sized pixels, the perceptual hash and the WebP from those same pixels, the file written.
 * Same options as the import's, so both decode the same pixels; no database, no walk, no rename.
 */
export async function referenceLoop({ files, lanes, out }: ReferenceShare): Promise<number> {
  let next = 0
  let hashes = 0
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < files.length) {
      const buffer = await readFile(files[next++]!)
      const hash = createHash('sha256').update(buffer).digest('hex')
      const { data, info } = await sharp(buffer, { failOn: 'error', limitInputPixels: DEFAULT_LIMITS.maxPixels, animated: false })
        .rotate()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true })
      const channels = info.channels as RawImage['channels']
      if (differenceHash({ data, width: info.width, height: info.height, channels }).length === 16) hashes++
      const thumbnail = await sharp(data, { raw: { width: info.width, height: info.height, channels } }).webp({ quality: 80, effort: 2 }).toBuffer()
      await writeFile(join(out, `${hash}.webp`), thumbnail)
    }
  }))
  return hashes
}

if (parentPort && workerData) {
  const port = parentPort
  void referenceLoop(workerData as ReferenceShare).then((hashes) => port.postMessage(hashes))
}
