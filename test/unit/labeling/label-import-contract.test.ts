import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushEvent } from '../../../src-main/contract/events'
import type { LabelChange } from '../../../src-main/contract/types'
import { createServices, type Services } from '../../../src-main/services/services'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, type DatasetProject } from '../dataset/dataset-project'

// labels.importCsv through the real services on a real project of real PNGs: the dry run reports
// matched, unmatched and conflicting rows and writes nothing; applying writes the labels as one undo
// step, creates the new class and announces the change as a labels.changed event (the same change the
// call answers), which labels.undo takes back; bad requests are coded refusals.

let dir: string
let project: DatasetProject
let services: Services
const changes: LabelChange[] = []

beforeAll(async () => {
  dir = makeTempDir('pictor-label-import-contract-')
  project = await createDatasetProject(join(dir, 'project'))
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  services.events.subscribe((event: PushEvent) => {
    if (event.name === 'labels.changed') changes.push(event.payload as LabelChange)
  })
  expect((await services.call('project.open', { path: project.projectPath })).ok).toBe(true)
}, 120_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

/** rel_path → class name (null: unlabeled) and origin, for every readable image. */
function labelsOf(): Record<string, { label: string | null; origin: string | null }> {
  const rows = withProjectDb(project.projectPath, (db) =>
    db
      .prepare(
        `SELECT i.rel_path AS relPath, c.name AS label, l.origin FROM images i
         LEFT JOIN labels l ON l.image_id = i.id LEFT JOIN classes c ON c.id = l.class_id AND c.deleted_at IS NULL
         WHERE i.status = 'ok' ORDER BY i.rel_path`
      )
      .all()
  ) as { relPath: string; label: string | null; origin: string | null }[]
  return Object.fromEntries(rows.map(({ relPath, label, origin }) => [relPath, { label, origin }]))
}

/** Paths relative to the photos folder, where the CSV lies: the CLI resolves them against the file's folder. */
function writeCsv(name: string, text: string): string {
  const path = join(project.folder, name)
  writeFileSync(path, text)
  return path
}

const CSV = [
  'path,label',
  'train/red/img-100.png,crimson', // red now: changed, into a new class
  'loose.png,blue', // unlabeled now: labeled
  'train/blue/img-103.png,blue', // already blue: unchanged
  'nowhere/gone.png,red', // no such image: unmatched
  'train/red/img-101.png,red', // given two labels: conflicting, left alone
  'train/red/img-101.png,blue',
  'train/red/img-102.png,' // no label: left alone
].join('\n')

describe('labels.importCsv', () => {
  it('reports a dry run without writing, then applies it as one announced, undoable change', async () => {
    const file = writeCsv('labels.csv', `${CSV}\n`)
    const before = labelsOf()
    const dry = await services.call('labels.importCsv', { file, dryRun: true })
    if (!dry.ok) throw new Error(dry.error.message)
    expect(dry.value).toMatchObject({
      file,
      by: 'path',
      byDefault: true,
      dryRun: true,
      applied: false,
      undo: null,
      change: null,
      rows: { total: 7, matched: 5, unmatched: 1, withoutLabel: 1 },
      images: { labeled: 1, changed: 1, unchanged: 1, conflicting: 1 },
      newClasses: ['crimson'],
      unmatched: [{ line: 5, value: 'nowhere/gone.png' }]
    })
    expect(dry.value.conflicts).toEqual([{ path: join(project.folder, 'train/red/img-101.png'), labels: ['red', 'blue'] }])
    expect(labelsOf()).toEqual(before)
    expect(changes).toEqual([])

    const applied = await services.call('labels.importCsv', { file, by: 'path', dryRun: false })
    if (!applied.ok) throw new Error(applied.error.message)
    const { change, ...result } = applied.value
    expect(result).toMatchObject({ dryRun: false, applied: true, undo: 'Import labels from labels.csv (2 images)', images: dry.value.images })
    const after = labelsOf()
    expect(after['train/red/img-100.png']).toEqual({ label: 'crimson', origin: 'import' })
    expect(after['loose.png']).toEqual({ label: 'blue', origin: 'import' })
    for (const path of ['train/red/img-101.png', 'train/red/img-102.png', 'train/blue/img-103.png']) expect(after[path]).toEqual(before[path])

    // The windows learn it as they learn any label change: one event, the very change the call answered.
    expect(changes).toHaveLength(1)
    expect(changes[0]).toEqual(change)
    expect(change!.imageIds).toHaveLength(2)
    expect(change!.history).toEqual({ undo: result.undo, redo: null })
    expect(change!.counts.labeled).toBe(1)
    const crimson = change!.classes?.find((entry) => entry.name === 'crimson')
    expect(crimson?.count).toBe(1)
    const listed = await services.call('classes.list', {})
    expect(listed.ok && listed.value).toEqual(change!.classes)

    // Ctrl+Z in the app: the whole import comes back in one step, announced too.
    const undone = await services.call('labels.undo', {})
    if (!undone.ok) throw new Error(undone.error.message)
    expect(undone.value?.description).toBe(`Undo: ${result.undo}`)
    expect(new Set(undone.value?.imageIds)).toEqual(new Set(change!.imageIds))
    expect(changes).toHaveLength(2)
    const restored = labelsOf()
    for (const path of Object.keys(before)) expect(restored[path]?.label, path).toBe(before[path]?.label)

    // Applying what changes nothing writes nothing and announces nothing.
    const same = await services.call('labels.importCsv', { file: writeCsv('same.csv', 'path,label\ntrain/blue/img-103.png,blue\n'), dryRun: false })
    expect(same.ok && same.value).toMatchObject({ applied: false, undo: null, change: null })
    expect(changes).toHaveLength(2)
  })

  it('refuses bad requests with codes: a relative path, a missing file, a folder, a file that is no label CSV, a column it lacks', async () => {
    const relative = await services.call('labels.importCsv', { file: 'labels.csv', dryRun: true })
    expect(!relative.ok && relative.error.code).toBe('INVALID_REQUEST')
    expect(!relative.ok && relative.error.message).toMatch(/absolute path/)
    const extra = await services.call('labels.importCsv', { file: join(dir, 'x.csv'), dryRun: true, force: true } as never)
    expect(!extra.ok && extra.error.code).toBe('INVALID_REQUEST')
    const missing = await services.call('labels.importCsv', { file: join(dir, 'nothing.csv'), dryRun: true })
    expect(!missing.ok && missing.error.code).toBe('NOT_FOUND')
    mkdirSync(join(dir, 'folder.csv'))
    const folder = await services.call('labels.importCsv', { file: join(dir, 'folder.csv'), dryRun: true })
    expect(!folder.ok && folder.error.code).toBe('INVALID_REQUEST')
    const noLabel = await services.call('labels.importCsv', { file: writeCsv('no-label.csv', 'path,class\nloose.png,red\n'), dryRun: true })
    expect(!noLabel.ok && noLabel.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/no label column/) })
    const noHash = await services.call('labels.importCsv', { file: writeCsv('paths.csv', 'path,label\nloose.png,red\n'), by: 'sha256', dryRun: true })
    expect(!noHash.ok && noHash.error.message).toMatch(/no sha256 column/)
    expect(changes).toHaveLength(2)
  })

  it('answers NO_PROJECT when no project is open', async () => {
    const bare = createServices({ dataDir: join(dir, 'bare-data'), transport: 'cli' })
    try {
      const envelope = await bare.call('labels.importCsv', { file: join(project.folder, 'labels.csv'), dryRun: true })
      expect(!envelope.ok && envelope.error.code).toBe('NO_PROJECT')
    } finally {
      bare.close()
    }
  })
})
