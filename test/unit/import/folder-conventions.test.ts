import { symlinkSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { interpretPath } from '../../../src-main/import/folder-layout'
import { createServices } from '../../../src-main/services/services'
import { writeImage } from '../../helpers/image-fixtures'
import { imageRows, importRunRows, labelRows, runImport, setUpImport, withProjectDb, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// Sub-folders name classes, top-level train/val/validation/test folders name splits; what the user
// decides afterwards (labels, splits) is never overwritten by importing the folder again.

const temp = useTempDir('pictor-layout-')

describe('interpretPath', () => {
  it.each([
    ['a.jpg', null, null],
    ['cat/a.jpg', null, 'cat'],
    ['cat/indoor/b.jpg', null, 'cat'],
    ['train/dog/d.jpg', 'train', 'dog'],
    ['train/dog/puppies/d.jpg', 'train', 'dog'],
    ['Validation/dog/e.jpg', 'val', 'dog'],
    ['VAL/e.jpg', 'val', null],
    ['test/f.jpg', 'test', null],
    ['cat/train/g.jpg', null, 'cat'], // split folders count only at the top
    ['training/h.jpg', null, 'training'], // only the exact words
    ['  spaced out  /i.jpg', null, 'spaced out'],
    ['cafe\u0301/j.jpg', null, 'caf\u00e9'], // NFD folder, NFC class
    ['   /k.jpg', null, null] // a blank name is no class
  ])('%j → split %s, class %s', (relPath, split, className) => {
    expect(interpretPath(relPath)).toEqual({ split, className })
  })
})

/** The layout of the brief: classes, nesting, splits and unlabeled files. */
async function standardLayout(setup: ImportSetup): Promise<void> {
  const files = ['cat/a.jpg', 'cat/indoor/b.jpg', 'c.jpg', 'train/dog/d.jpg', 'Validation/dog/e.jpg', 'test/f.jpg']
  for (const [index, relPath] of files.entries()) await writeImage(setup.folder, relPath, 'jpeg', { seed: index + 1 })
}

const classes = (setup: ImportSetup) =>
  withProjectDb(setup.projectPath, (db) =>
    db.prepare('SELECT name, color, hotkey, position FROM classes ORDER BY name').all()
  ) as { name: string; color: string; hotkey: string; position: number }[]

/** Rewrites a file with a new picture and a new mtime, so a rescan must re-read and re-write its row. */
async function modify(setup: ImportSetup, relPath: string, seed: number): Promise<void> {
  const path = await writeImage(setup.folder, relPath, 'jpeg', { seed })
  utimesSync(path, new Date(), new Date(Date.now() + 60_000))
}

describe('folder conventions in a real import', () => {
  it('labels class folders, assigns split folders and leaves loose files unlabeled', async () => {
    const setup = setUpImport(temp())
    await standardLayout(setup)
    const report = await runImport(setup)
    expect(report).toMatchObject({ imported: 6, failed: 0, classes: { cat: 2, dog: 2 }, splits: { train: 1, val: 1, test: 1 } })

    const rows = imageRows(setup.projectPath)
    const meaning = (relPath: string) => {
      const row = rows.get(relPath)!
      return [row.folder_class, row.split, row.split_origin]
    }
    expect(meaning('cat/a.jpg')).toEqual(['cat', null, null])
    expect(meaning('cat/indoor/b.jpg')).toEqual(['cat', null, null])
    expect(meaning('c.jpg')).toEqual([null, null, null])
    expect(meaning('train/dog/d.jpg')).toEqual(['dog', 'train', 'folder'])
    expect(meaning('Validation/dog/e.jpg')).toEqual(['dog', 'val', 'folder'])
    expect(meaning('test/f.jpg')).toEqual([null, 'test', 'folder'])

    const labels = labelRows(setup.projectPath)
    expect(Object.fromEntries([...labels].map(([path, label]) => [path, `${label.class_name}/${label.origin}`]))).toEqual({
      'cat/a.jpg': 'cat/folder',
      'cat/indoor/b.jpg': 'cat/folder',
      'train/dog/d.jpg': 'dog/folder',
      'Validation/dog/e.jpg': 'dog/folder'
    })

    // Created in name order, whichever file finished decoding first.
    const created = classes(setup)
    expect(created.map(({ name, hotkey, position }) => ({ name, hotkey, position }))).toEqual([
      { name: 'cat', hotkey: '1', position: 0 },
      { name: 'dog', hotkey: '2', position: 1 }
    ])
    for (const row of created) expect(row.color).toMatch(/^#[0-9a-f]{6}$/)
    expect(created[0]!.color).not.toBe(created[1]!.color)
  })

  it('a second import creates no duplicate classes or labels, and labels a new file once', async () => {
    const setup = setUpImport(temp())
    await standardLayout(setup)
    await runImport(setup)
    const classesBefore = classes(setup)
    await modify(setup, 'cat/a.jpg', 50)
    await writeImage(setup.folder, 'dog/new.jpg', 'jpeg', { seed: 51 })
    const again = await runImport(setup)
    expect(again).toMatchObject({ imported: 1, updated: 1, unchanged: 5 })
    expect(classes(setup)).toEqual(classesBefore)
    const labels = labelRows(setup.projectPath)
    expect(labels.size).toBe(5)
    expect(labels.get('dog/new.jpg')).toMatchObject({ class_name: 'dog', origin: 'folder' })
    expect(withProjectDb(setup.projectPath, (db) => db.prepare('SELECT count(*) FROM labels').pluck().get())).toBe(5)
  })

  it('keeps a label the user changed and a split the user chose, even when the files change', async () => {
    const setup = setUpImport(temp())
    await standardLayout(setup)
    await runImport(setup)
    withProjectDb(setup.projectPath, (db) => {
      const dog = db.prepare("SELECT id FROM classes WHERE name = 'dog'").pluck().get()
      const image = (relPath: string) => db.prepare('SELECT id FROM images WHERE rel_path = ?').pluck().get(relPath)
      db.prepare("UPDATE labels SET class_id = ?, origin = 'user' WHERE image_id = ?").run(dog, image('cat/a.jpg'))
      db.prepare("UPDATE images SET split = 'test', split_origin = 'user' WHERE rel_path = 'train/dog/d.jpg'").run()
      db.prepare("UPDATE images SET split = 'val', split_origin = 'user' WHERE rel_path = 'c.jpg'").run()
    })
    const untouched = await runImport(setup)
    expect(untouched.unchanged).toBe(6)
    for (const [relPath, seed] of [['cat/a.jpg', 60], ['train/dog/d.jpg', 61], ['c.jpg', 62]] as const) await modify(setup, relPath, seed)
    const rescan = await runImport(setup)
    expect(rescan).toMatchObject({ updated: 3, imported: 0 })

    expect(labelRows(setup.projectPath).get('cat/a.jpg')).toMatchObject({ class_name: 'dog', origin: 'user' })
    const rows = imageRows(setup.projectPath)
    expect(rows.get('cat/a.jpg')!.folder_class).toBe('cat')
    expect(rows.get('train/dog/d.jpg')).toMatchObject({ split: 'test', split_origin: 'user' })
    expect(rows.get('c.jpg')).toMatchObject({ split: 'val', split_origin: 'user' })
    // A folder split nobody changed is still the folder's.
    expect(rows.get('Validation/dog/e.jpg')).toMatchObject({ split: 'val', split_origin: 'folder' })
  })

  // Regression test for a fixed bug (import-folder.ts / classes.ts): classes.name has CHECK (length(trim(name)) BETWEEN 1 AND 100)
  // but interpretPath passes any folder name through (Linux allows 255 bytes). The INSERT fails inside
  // the batch transaction, importFolder rejects, nothing of that batch is committed and the
  // import_runs row stays 'running' forever.
  it('a class folder named with more than 100 characters does not abort the import', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, `${'long name '.repeat(12)}/a.jpg`, 'jpeg', { seed: 1 })
    await writeImage(setup.folder, 'b.jpg', 'jpeg', { seed: 2 })
    const report = await runImport(setup)
    expect(report.imported).toBe(2)
    expect(importRunRows(setup.projectPath).map((run) => run.status)).toEqual(['done'])
  })

  // Regression test for a fixed bug (walk.ts): folders are de-duplicated by device:inode in readdir order, so when a symbolic
  // link to a class folder is listed before the folder itself, the link wins: the real folder 'cat' is
  // reported as SYMLINK_LOOP ("leads back into a folder already imported") and its images are
  // imported under the link's name, as class 'alias'. (Whether the link comes first depends on the
  // file system's readdir order; with several links one of them does on ext4 and tmpfs.)
  it('a link to a class folder never takes the real folder’s place', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'cat/a.jpg')
    for (const name of ['alias', 'b', 'mirror', 'z', 'link1', 'link2']) symlinkSync('cat', join(setup.folder, name))
    const report = await runImport(setup)
    expect(report.errors.map((error) => error.path)).not.toContain('cat')
    expect(imageRows(setup.projectPath).get('cat/a.jpg')).toMatchObject({ status: 'ok', folder_class: 'cat' })
  })

  // Regression test for a fixed bug (import-folder.ts): every import now ensures a class for the folder of every walked file,
  // unchanged ones included, by live name. So after the user deletes "cat" and renames "dog" to
  // "Dogs", a rescan that changes nothing creates two new, empty classes "cat" and "dog" (taking
  // hotkeys) — on every rescan after every delete, merge or rename.
  it('a rescan of unchanged files does not bring back classes the user deleted or renamed', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'cat/a.jpg', 'jpeg', { seed: 1 })
    await writeImage(setup.folder, 'dog/b.jpg', 'jpeg', { seed: 2 })
    await runImport(setup)
    const services = createServices({ dataDir: join(temp(), 'data'), transport: 'cli' })
    try {
      expect(await services.call('project.open', { path: setup.projectPath })).toMatchObject({ ok: true })
      const listed = await services.call('classes.list', {})
      const idOf = (name: string) => (listed.ok ? listed.value.find((row) => row.name === name)!.id : -1)
      expect(await services.call('classes.delete', { id: idOf('cat') })).toMatchObject({ ok: true })
      expect(await services.call('classes.update', { id: idOf('dog'), name: 'Dogs' })).toMatchObject({ ok: true })
    } finally {
      services.close()
    }
    expect(await runImport(setup)).toMatchObject({ unchanged: 2, imported: 0, updated: 0 })
    const live = withProjectDb(setup.projectPath, (db) => db.prepare('SELECT name FROM classes WHERE deleted_at IS NULL').pluck().all())
    expect(live).toEqual(['Dogs'])
  })
})
