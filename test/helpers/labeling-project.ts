import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, expect } from 'vitest'
import type { ContractError, ErrorCode } from '../../src-main/contract/envelope'
import type { PushEvent } from '../../src-main/contract/events'
import type { MethodName, RequestOf, ResponseOf } from '../../src-main/contract/methods'
import { createServices, type Services } from '../../src-main/services/services'
import { useTempDir } from './temp-dir'

// A real project behind the real services (CLI transport), with images written straight into
// `sources`/`images`: importing real files is covered by the import tests.

export interface ImageSpec {
  relPath?: string
  status?: 'ok' | 'failed' | 'missing'
  /** Defaults to a hash of the path for 'ok'/'missing' images and null for 'failed' ones. */
  contentHash?: string | null
  width?: number | null
  height?: number | null
  bytes?: number
  split?: 'train' | 'val' | 'test' | null
  splitOrigin?: 'folder' | 'auto' | 'user' | null
}

/** 64 hex characters, like a real sha256 content hash. */
export const fakeHash = (seed: string | number): string => createHash('sha256').update(String(seed)).digest('hex')

/** Inserts images (under one source, created on first use) in one transaction; returns their ids in order. */
export function insertImages(db: Database, specs: readonly ImageSpec[]): number[] {
  const now = Date.now()
  db.prepare("INSERT OR IGNORE INTO sources (root_path, added_at) VALUES ('/photos', ?)").run(now)
  const sourceId = db.prepare("SELECT id FROM sources WHERE root_path = '/photos'").pluck().get() as number
  const insert = db.prepare(
    `INSERT INTO images (source_id, rel_path, status, error_code, error_message, bytes, mtime_ms, content_hash,
                         width, height, format, split, split_origin, imported_at)
     VALUES (@sourceId, @relPath, @status, @errorCode, @errorMessage, @bytes, 1000, @contentHash,
             @width, @height, 'jpeg', @split, @splitOrigin, @importedAt)`
  )
  return db.transaction(() => {
    const first = (db.prepare('SELECT coalesce(max(id), 0) FROM images').pluck().get() as number) + 1
    return specs.map((spec, index) => {
      const relPath = spec.relPath ?? `img-${String(first + index).padStart(6, '0')}.jpg`
      const status = spec.status ?? 'ok'
      const failed = status === 'failed'
      const split = spec.split ?? null
      return Number(
        insert.run({
          sourceId,
          relPath,
          status,
          errorCode: failed ? 'DECODE_ERROR' : null,
          errorMessage: failed ? 'not an image' : null,
          bytes: spec.bytes ?? 1000,
          contentHash: spec.contentHash !== undefined ? spec.contentHash : failed ? null : fakeHash(relPath),
          width: failed ? null : spec.width !== undefined ? spec.width : 64,
          height: failed ? null : spec.height !== undefined ? spec.height : 48,
          split,
          splitOrigin: split === null ? null : (spec.splitOrigin ?? 'folder'),
          importedAt: now
        }).lastInsertRowid
      )
    })
  })()
}

export interface LabelingProject {
  /** The test's temp folder. */
  dir: string
  /** The project file. */
  path: string
  services: Services
  /** Every push event since the services were (re)created. */
  events: PushEvent[]
  db(): Database
  /** Calls a method and insists it succeeded; answers its value. */
  value<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>
  /** Calls a method and insists it failed with `code`; answers the error. */
  failure<M extends MethodName>(method: M, request: RequestOf<M>, code: ErrorCode): Promise<ContractError>
  /** Inserts images; a number means that many plain 'ok' images. */
  images(specs: readonly ImageSpec[] | number): number[]
  /** Creates classes by name (automatic colour and hotkey); answers their ids. */
  classes(...names: string[]): Promise<number[]>
  /** The current class of each image straight from the labels table (null: unlabeled). */
  labelsOf(imageIds: readonly number[]): (number | null)[]
  count(table: string, where?: string): number
  /** Closes these services (and the project) and opens the project again in a new services instance. */
  restart(): Promise<void>
}

/**
 * Gives each test a fresh temp folder with a new project open in real services. Registers its own
 * temp dir first, so the services are closed before the folder is removed.
 */
export function useLabelingProject(): () => LabelingProject {
  const tempDir = useTempDir('pictor-labeling-')
  let project: LabelingProject | undefined

  beforeEach(async () => {
    const dir = tempDir()
    const start = (): { services: Services; events: PushEvent[] } => {
      const services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
      const events: PushEvent[] = []
      services.events.subscribe((event) => events.push(event))
      return { services, events }
    }
    let current = start()
    const fixture: LabelingProject = {
      dir,
      path: join(dir, 'labels.pictor'),
      get services() {
        return current.services
      },
      get events() {
        return current.events
      },
      db: () => current.services.session.db,
      async value(method, request) {
        const envelope = await current.services.call(method, request)
        if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code}: ${envelope.error.message}`)
        return envelope.value
      },
      async failure(method, request, code) {
        const envelope = await current.services.call(method, request)
        expect(envelope, `${method} should fail with ${code}`).toMatchObject({ ok: false, error: { code } })
        return (envelope as { error: ContractError }).error
      },
      images: (specs) => insertImages(fixture.db(), typeof specs === 'number' ? Array.from({ length: specs }, () => ({})) : specs),
      async classes(...names) {
        const ids: number[] = []
        for (const name of names) ids.push((await fixture.value('classes.create', { name })).id)
        return ids
      },
      labelsOf(imageIds) {
        const select = fixture.db().prepare('SELECT class_id FROM labels WHERE image_id = ?').pluck()
        return imageIds.map((id) => (select.get(id) as number | undefined) ?? null)
      },
      count: (table, where = '1') => fixture.db().prepare(`SELECT count(*) FROM ${table} WHERE ${where}`).pluck().get() as number,
      async restart() {
        current.services.close()
        current = start()
        await fixture.value('project.open', { path: fixture.path })
      }
    }
    project = fixture
    await fixture.value('project.create', { path: fixture.path, name: 'Labeling' })
  })

  afterEach(() => {
    project?.services.close()
    project = undefined
  })

  return () => {
    if (!project) throw new Error('the labeling project only exists while a test runs')
    return project
  }
}
