// A large Pictor project made in seconds for the UI benchmark: an empty project from `pictor create`,
// then sources, classes, images and labels written straight into its SQLite file, and a small set
// of distinct WebP thumbnails in the data dir that every image row points at (by content hash).
// The labeled images were labeled by hand on an earlier day, one undoable action each, so the undo
// history is as long as a real keyboard-labeled project's (every label key writes to it).
// Nothing is decoded or imported; the UI only ever sees rows and thumbnails, as after a real import.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import sharp from 'sharp'
import { CLASS_PALETTE } from '../../src-main/db/queries/classes'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const PICTOR = join(ROOT, 'bin', 'pictor.js')
const HOTKEYS = [...'123456789a']

export interface GenerateOptions {
  /** Folder that receives the project file and the (empty) source folder. */
  workDir: string
  /** PICTOR_DATA_DIR of the server that will open it; thumbnails go under <dataDir>/thumbnails. */
  dataDir: string
  images: number
  /** Distinct thumbnails; image rows cycle through them. */
  thumbnails: number
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
  const path = join(workDir, 'ui-bench.pictor')
  const sourceRoot = join(workDir, 'photos')
  mkdirSync(sourceRoot, { recursive: true })
  mkdirSync(dataDir, { recursive: true })
  createEmptyProject(path, dataDir)

  // Thumbnails, named as ThumbnailStore names them: <dataDir>/thumbnails/<first 2 hex>/<sha256>.webp
  let started = performance.now()
  const hashes = Array.from({ length: thumbnails }, (_, index) => contentHash(index))
  let thumbnailBytes = 0
  const BATCH = 16
  for (let first = 0; first < thumbnails; first += BATCH) {
    const batch = hashes.slice(first, first + BATCH)
    const encoded = await Promise.all(batch.map((_, offset) => thumbnail(first + offset, thumbnailSize)))
    batch.forEach((hash, offset) => {
      const folder = join(dataDir, 'thumbnails', hash.slice(0, 2))
      mkdirSync(folder, { recursive: true })
      writeFileSync(join(folder, `${hash}.webp`), encoded[offset]!)
      thumbnailBytes += encoded[offset]!.length
    })
  }
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
    thumbnailBytes,
    thumbnailMs,
    rowsMs: performance.now() - started
  }
}
