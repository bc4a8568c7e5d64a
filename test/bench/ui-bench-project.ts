// A large Pictor project made in seconds for the UI benchmark: an empty project from `pictor create`,
// then sources, classes, images and labels written straight into its SQLite file, and distinct WebP
// thumbnails in the data dir that the image rows point at (by content hash; rows cycle through them).
// The thumbnails are generated once into a cache folder kept between runs (under os.tmpdir(), never in
// the repository or ../shared) and hard-linked into each run's data dir.
// The labeled images were labeled by hand on an earlier day, one undoable action each, so the undo
// history is as long as a real keyboard-labeled project's (every label key writes to it).
// Nothing is decoded or imported; the UI only ever sees rows and thumbnails, as after a real import.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, renameSync, statSync, writeFileSync, copyFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import sharp from 'sharp'
import { CLASS_PALETTE } from '../../src-main/db/queries/classes'
import { CACHE, PICTOR } from './bench-util'

const HOTKEYS = [...'123456789a']

export interface GenerateOptions {
  /** Folder that receives the project file and the (empty) source folder. */
  workDir: string
  /** PICTOR_DATA_DIR of the server that will open it; thumbnails go under <dataDir>/thumbnails. */
  dataDir: string
  images: number
  /** Distinct thumbnails; image rows cycle through them. */
  thumbnails: number
  /** Where generated thumbnails are kept between runs (default os.tmpdir()/pictor-bench/ui-thumbnails-<size>px). */
  thumbnailCache?: string
  /** Longer side of each thumbnail; the importer makes them at most 256 px. */
  thumbnailSize: number
  /** Share of images that get a label (typed in by hand, one history action each, a day ago). */
  labeledShare: number
}

export interface GeneratedProject {
  path: string
  images: number
  labeled: number
  unlabeled: number
  classes: { id: number; name: string; hotkey: string }[]
  thumbnails: number
  thumbnailBytes: number
  thumbnailMs: number
  /** Thumbnails this run had to generate (the rest came from the cache folder). */
  thumbnailsGenerated: number
  rowsMs: number
}

/** Small, fast, seeded PRNG: the same project every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A thumbnail-like picture: a coloured gradient with a blob and noise, so every one looks (and encodes) differently. */
async function thumbnail(index: number, size: number): Promise<Buffer> {
  const random = mulberry32(index + 1)
  const base = [random() * 255, random() * 255, random() * 255]
  const tilt = [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1]
  const [cx, cy, radius] = [random() * size, random() * size, size * (0.15 + random() * 0.3)]
  const pixels = Buffer.alloc(size * size * 3)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inBlob = (x - cx) ** 2 + (y - cy) ** 2 < radius * radius
      for (let channel = 0; channel < 3; channel++) {
        const gradient = base[channel]! + tilt[channel]! * (x + y) * 0.4
        const value = (inBlob ? 255 - gradient : gradient) + (random() - 0.5) * 40
        pixels[(y * size + x) * 3 + channel] = Math.max(0, Math.min(255, value))
      }
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).webp({ quality: 80 }).toBuffer()
}

function contentHash(index: number): string {
  return createHash('sha256').update(`pictor-ui-bench-thumbnail-${index}`).digest('hex')
}

/**
 * Thumbnails 0…count−1 in `cache` (generated where missing, each written under a temporary name and
 * renamed, so an interrupted run leaves no half file), then linked into the data dir as ThumbnailStore
 * names them: <dataDir>/thumbnails/<first 2 hex>/<sha256>.webp. Returns the hashes, bytes and how many were new.
 */
async function placeThumbnails(cache: string, dataDir: string, count: number, size: number) {
  mkdirSync(cache, { recursive: true })
  const hashes = Array.from({ length: count }, (_, index) => contentHash(index))
  const cached = (index: number) => join(cache, `${index}.webp`)
  const missing = hashes.map((_, index) => index).filter((index) => !existsSync(cached(index)))
  if (missing.length > 0) console.log(`  generating ${missing.length} thumbnails into ${cache} (once; later runs reuse them) …`)
  const started = performance.now()
  const BATCH = 16
  for (let first = 0; first < missing.length; first += BATCH) {
    const batch = missing.slice(first, first + BATCH)
    const encoded = await Promise.all(batch.map((index) => thumbnail(index, size)))
    batch.forEach((index, offset) => {
      writeFileSync(`${cached(index)}.tmp`, encoded[offset]!)
      renameSync(`${cached(index)}.tmp`, cached(index))
    })
    const done = first + batch.length
    if (done % 2000 < BATCH && done < missing.length) console.log(`    ${done}/${missing.length} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  }
  let bytes = 0
  hashes.forEach((hash, index) => {
    const folder = join(dataDir, 'thumbnails', hash.slice(0, 2))
    mkdirSync(folder, { recursive: true })
    const target = join(folder, `${hash}.webp`)
    try {
      linkSync(cached(index), target)
    } catch {
      copyFileSync(cached(index), target) // another file system
    }
    bytes += statSync(target).size
  })
  return { hashes, bytes, generated: missing.length }
}

/** `pictor create`, as a user would: the schema and project row come from the app itself. */
function createEmptyProject(path: string, dataDir: string): void {
  const run = spawnSync(process.execPath, [PICTOR, 'create', path, '--name', 'UI benchmark', '--json'], {
    cwd: dirname(path),
    env: { ...process.env, PICTOR_DATA_DIR: dataDir },
    encoding: 'utf8'
  })
  if (run.status !== 0) throw new Error(`pictor create failed (${run.status ?? run.signal}): ${run.stderr || run.stdout}`)
}

export async function generateProject(options: GenerateOptions): Promise<GeneratedProject> {
  const { workDir, dataDir, images, thumbnails, thumbnailSize, labeledShare } = options
  const thumbnailCache = options.thumbnailCache ?? join(CACHE, `ui-thumbnails-${thumbnailSize}px`)
  const path = join(workDir, 'ui-bench.pictor')
  const sourceRoot = join(workDir, 'photos')
  mkdirSync(sourceRoot, { recursive: true })
  mkdirSync(dataDir, { recursive: true })
  createEmptyProject(path, dataDir)

  let started = performance.now()
  const placed = await placeThumbnails(thumbnailCache, dataDir, thumbnails, thumbnailSize)
  const hashes = placed.hashes
  const thumbnailMs = performance.now() - started

  // Rows: one transaction, prepared statements.
  started = performance.now()
  const db = new BetterSqlite3(path, { fileMustExist: true })
  let labeled = 0
  const classes: GeneratedProject['classes'] = []
  try {
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = OFF')
    const now = Date.now()
    const insertSource = db.prepare('INSERT INTO sources (root_path, added_at, last_scan_at) VALUES (?, ?, ?)')
    const insertClass = db.prepare('INSERT INTO classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?)')
    const insertImage = db.prepare(
      `INSERT INTO images (id, source_id, rel_path, status, bytes, mtime_ms, content_hash, width, height, format,
                           folder_class, imported_at)
       VALUES (?, ?, ?, 'ok', ?, ?, ?, ?, ?, 'jpeg', ?, ?)`
    )
    const insertLabel = db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'user', ?)")
    const insertAction = db.prepare("INSERT INTO label_actions (description, created_at, undone, origin) VALUES (?, ?, 0, 'user')")
    const insertChange = db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, ?, NULL, ?)')
    const random = mulberry32(20_240_601)
    db.transaction(() => {
      const sourceId = Number(insertSource.run(sourceRoot, now, now).lastInsertRowid)
      HOTKEYS.forEach((hotkey, position) => {
        const name = `class-${position}`
        const id = Number(insertClass.run(name, CLASS_PALETTE[position % CLASS_PALETTE.length]!, hotkey, position, now).lastInsertRowid)
        classes.push({ id, name, hotkey })
      })
      for (let index = 0; index < images; index++) {
        const id = index + 1
        const file = `img-${String(id).padStart(6, '0')}.jpg`
        const klass = random() < labeledShare ? classes[Math.floor(random() * classes.length)]! : undefined
        const wide = random() < 0.5
        insertImage.run(
          id,
          sourceId,
          klass ? `${klass.name}/${file}` : file,
          40_000 + Math.floor(random() * 200_000),
          now - 86_400_000 + index,
          hashes[index % hashes.length]!,
          wide ? 640 : 480,
          wide ? 480 : 640,
          klass?.name ?? null,
          now - 3_600_000 + Math.floor(index / 100)
        )
        if (klass) {
          const at = now - 86_400_000 + labeled * 500
          insertLabel.run(id, klass.id, at)
          insertChange.run(Number(insertAction.run(`Label image as ${klass.name}`, at).lastInsertRowid), id, klass.id)
          labeled++
        }
      }
    })()
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  return {
    path,
    images,
    labeled,
    unlabeled: images - labeled,
    classes,
    thumbnails,
    thumbnailBytes: placed.bytes,
    thumbnailMs,
    thumbnailsGenerated: placed.generated,
    rowsMs: performance.now() - started
  }
}
