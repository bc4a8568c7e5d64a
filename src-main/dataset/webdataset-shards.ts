// The webdataset format: tar shards `<split>-000000.tar`, `<split>-000001.tar`, … at the top of the
// export folder, as WebDataset's brace patterns (`train-{000000..000012}.tar`) expect. Each image is
// a sample of three adjacent members sharing one key: `<key>.<ext>` (the original bytes),
// `<key>.cls` (the class index in classes.json's order, decimal) and `<key>.json` (its metadata).
// A shard stays within the size limit unless one sample alone is larger; a sample is never split.
import { open, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { fromSystemError } from '../core/errors'
import type { ProgressUpdate } from '../jobs/job'
import { UNLABELED, type DatasetPlan, type PlannedFile } from './dataset-plan'
import { shortHash } from './safe-names'
import { TAR_END_BYTES, TarWriter, tarMemberBytes } from './tar-writer'

export const DEFAULT_SHARD_MB = 512
/** `--shard-size` is in MiB (1,048,576 bytes). */
export const SHARD_MB = 1024 * 1024

export interface ShardInfo {
  /** File name at the top of the export folder. */
  file: string
  images: number
  bytes: number
}

/** Shard groups in the order they are written: the splits, then unlabeled images (no .cls). */
const GROUP_ORDER = ['train', 'val', 'test', 'unsplit', UNLABELED]

const groupOf = (file: PlannedFile): string => (file.label === null ? UNLABELED : file.split)

/** `train-000003.tar`. */
export const shardName = (group: string, index: number) => `${group}-${String(index).padStart(6, '0')}.tar`

/**
 * `train-000041-1a2b3c4d`: the image's position within its group (in the project's image order) and
 * the start of its content hash. No dots, since WebDataset takes everything before the first dot.
 */
export function sampleKey(group: string, index: number, file: PlannedFile): string {
  const hash = file.row.contentHash?.slice(0, 8) ?? shortHash(file.source)
  return `${group}-${String(index).padStart(6, '0')}-${hash}`
}

/** The image's extension, lower case (WebDataset picks a decoder by it); `img` when it has none. */
function imageExtension(file: PlannedFile): string {
  const ext = extname(file.source).slice(1).toLowerCase().replace(/[^a-z0-9]/g, '')
  return ext === '' ? 'img' : ext
}

function sampleJson(file: PlannedFile): Buffer {
  const { row } = file
  return Buffer.from(
    JSON.stringify({
      label: file.label,
      split: file.split,
      sha256: row.contentHash,
      width: row.width,
      height: row.height,
      label_origin: row.labelOrigin,
      label_issue_score: row.labelIssueScore,
      file_name: basename(row.relPath)
    }),
    'utf8'
  )
}

interface OpenShard {
  info: ShardInfo
  tar: TarWriter
  /** Ends the archive (two zero blocks) and closes the file. */
  close: () => Promise<void>
  /** Closes the file without ending the archive, after a failure. */
  abandon: () => Promise<void>
}

/**
 * Writes the plan's images into shards in `dir`, at most `shardBytes` bytes each (a single sample
 * larger than that gets a shard of its own). Answers the shards written and the images whose file
 * had vanished (left out, like the other formats do).
 */
export async function writeShards(
  dir: string,
  plan: DatasetPlan,
  shardBytes: number,
  signal: AbortSignal,
  onProgress: (update: ProgressUpdate) => void
): Promise<{ shards: ShardInfo[]; vanished: PlannedFile[] }> {
  const classIndex = new Map(plan.classes.map((entry) => [entry.name, entry.index]))
  const shards: ShardInfo[] = []
  const vanished: PlannedFile[] = []
  const total = plan.files.length
  let done = 0
  onProgress({ done, total, message: 'writing shards' })
  for (const group of GROUP_ORDER) {
    const files = plan.files.filter((file) => groupOf(file) === group)
    let shard: OpenShard | null = null
    let shardIndex = 0
    try {
      let index = 0
      for (const file of files) {
        signal.throwIfAborted()
        const info = await stat(file.source).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
          throw fromSystemError(error, file.source) ?? error
        })
        if (info === null) {
          vanished.push(file)
          onProgress({ done: ++done, total, message: 'writing shards' })
          continue
        }
        const key = sampleKey(group, index++, file)
        const cls = file.label === null ? null : Buffer.from(String(classIndex.get(file.label)), 'utf8')
        const json = sampleJson(file)
        const sampleBytes = tarMemberBytes(info.size) + (cls === null ? 0 : tarMemberBytes(cls.length)) + tarMemberBytes(json.length)
        if (shard !== null && shard.tar.bytes + sampleBytes + TAR_END_BYTES > shardBytes) {
          await shard.close()
          shard = null
        }
        shard ??= await openShard(dir, shardName(group, shardIndex++), shards)
        // The source's own time, so that exporting the same images twice gives the same shards.
        await shard.tar.addFile(`${key}.${imageExtension(file)}`, file.source, info.size, info.mtime, signal)
        if (cls !== null) await shard.tar.addBuffer(`${key}.cls`, cls, info.mtime)
        await shard.tar.addBuffer(`${key}.json`, json, info.mtime)
        shard.info.images++
        onProgress({ done: ++done, total, message: 'writing shards' })
      }
      if (shard !== null) await shard.close()
    } catch (error) {
      // The export's temporary folder is removed by the caller; only the file handle needs closing.
      await shard?.abandon()
      throw error
    }
  }
  return { shards, vanished }
}

async function openShard(dir: string, file: string, shards: ShardInfo[]): Promise<OpenShard> {
  const handle = await open(join(dir, file), 'wx')
  const tar = new TarWriter(handle)
  const info: ShardInfo = { file, images: 0, bytes: 0 }
  shards.push(info)
  let closed = false
  return {
    info,
    tar,
    async close() {
      if (closed) return
      closed = true
      try {
        await tar.end()
        info.bytes = tar.bytes
      } finally {
        await handle.close()
      }
    },
    async abandon() {
      if (closed) return
      closed = true
      await handle.close().catch(() => {})
    }
  }
}
