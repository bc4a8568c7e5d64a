import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { datasetCommand } from '../../../src-main/cli/dataset-command'
import { labelsCommand } from '../../../src-main/cli/labels-command'
import { describeUnexpected } from '../../../src-main/cli/output'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { Labeling } from '../../../src-main/services/labeling'
import { runImport, setUpImport, withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, QUOTED, type DatasetProject } from '../dataset/dataset-project'

// `pictor labels import` on real projects of real PNGs (sharp, the real folder import): a csv dataset
// export of project A given to project B, which imported the same folder and has no labels, gives
// every image A's label; what a file cannot place or contradicts is counted; a dry run writes nothing;
// an import is one step the app's own undo (Labeling.undo) takes back.

let dir: string
let projectA: DatasetProject
/** B as imported (the same photos folder as A), with its labels and classes then removed. */
let unlabeledB: string
let exportedCsv: string
let copies = 0

beforeAll(async () => {
  dir = makeTempDir('pictor-label-import-')
  projectA = await createDatasetProject(join(dir, 'a'))
  mkdirSync(join(dir, 'b'))
  const setup = setUpImport(join(dir, 'b'))
  const report = await runImport({ ...setup, folder: projectA.folder })
  if (report.imported !== 18) throw new Error(`B imported only ${report.imported} images`)
  withProjectDb(setup.projectPath, (db) => db.exec('DELETE FROM labels; DELETE FROM classes'))
  unlabeledB = setup.projectPath
  const out = join(dir, 'export-a')
  const run = await cli(datasetCommand, ['export', '--project', projectA.projectPath, '--format', 'csv', '--out', out, '--json'])
  expect(run.code).toBe(0)
  exportedCsv = join(out, 'dataset.csv')
}, 180_000)

afterAll(() => removeTempDir(dir))
afterEach(() => vi.restoreAllMocks())

/** Runs a command in this process as `pictor` would, with what it printed. */
async function cli(command: { run(args: string[]): Promise<number> }, args: string[]): Promise<{ code: number; out: string }> {
  let out = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  })
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    out += `${parts.join(' ')}\n`
  })
  try {
    return { code: await command.run(args), out }
  } finally {
    vi.restoreAllMocks()
  }
}

const importLabels = (project: string, ...args: string[]) => cli(labelsCommand, ['import', '--project', project, ...args])

/** A copy of a closed project file, so each test starts from the same state. */
function copyOf(project: string): string {
  const path = join(dir, `copy-${++copies}.pictor`)
  copyFileSync(project, path)
  return path
}

/** rel_path → class name (null: unlabeled) and origin, for every readable image. */
function labelsOf(project: string): Record<string, { label: string | null; origin: string | null }> {
  const rows = withProjectDb(project, (db) =>
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

const justLabels = (labels: ReturnType<typeof labelsOf>) => Object.fromEntries(Object.entries(labels).map(([path, { label }]) => [path, label]))

const everything = (project: string) =>
  withProjectDb(project, (db) =>
    Object.fromEntries(['labels', 'classes', 'label_actions', 'label_changes'].map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all()]))
  )

function writeCsv(name: string, text: string | Uint8Array): string {
  const path = join(dir, name)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
  return path
}

describe('pictor labels import', () => {
  it('round trip: the csv export of A, imported --by sha256 into B (same images, unlabeled), gives each image A’s label', async () => {
    const project = copyOf(unlabeledB)
    const run = await importLabels(project, exportedCsv, '--by', 'sha256', '--json')
    expect(run.code).toBe(0)
    const result = JSON.parse(run.out)
    expect(result).toMatchObject({
      by: 'sha256',
      byDefault: false,
      applied: true,
      rows: { total: 17, matched: 17, unmatched: 0, withoutLabel: 0 },
      images: { labeled: 17, changed: 0, unchanged: 0, conflicting: 0 }
    })
    expect(new Set(result.newClasses)).toEqual(new Set(['red', 'blue', QUOTED]))
    expect(justLabels(labelsOf(project))).toEqual(justLabels(labelsOf(projectA.projectPath)))
    // Every label B has now came from the file, and says so, in B's own export too.
    expect(new Set(Object.values(labelsOf(project)).filter((row) => row.label !== null).map((row) => row.origin))).toEqual(new Set(['import']))
    const out = join(dir, 'export-b')
    expect((await cli(datasetCommand, ['export', '--project', project, '--format', 'csv', '--out', out])).code).toBe(0)
    const origins = readFileSync(join(out, 'dataset.csv'), 'utf8').trim().split('\r\n').slice(1).map((line) => line.split(',').at(-1))
    expect(new Set(origins)).toEqual(new Set(['import']))
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('17 from an imported label file (pictor labels import)')
    // Each new class got a colour of its own, as the app gives one.
    const colors = withProjectDb(project, (db) => db.prepare('SELECT color FROM classes').pluck().all())
    expect(new Set(colors).size).toBe(3)
  })

  it('matches by sha256 when --by is not given and the file has a sha256 column, and says so', async () => {
    const project = copyOf(unlabeledB)
    const run = await importLabels(project, exportedCsv)
    expect(run.code).toBe(0)
    expect(run.out).toContain('Matched rows by sha256 (the file has a sha256 column; --by path matches file paths instead).')
    expect(run.out).toContain('Images: 17 newly labeled, 0 changed, 0 unchanged, 0 conflicting')
    expect(run.out).toMatch(/Applied as one undoable step: “Import labels from dataset\.csv \(17 images\)”/)
    // A second run finds nothing to do.
    const again = await importLabels(project, exportedCsv, '--json')
    expect(JSON.parse(again.out)).toMatchObject({ applied: false, undo: null, images: { labeled: 0, changed: 0, unchanged: 17 } })
  })

  it('--by path matches paths relative to the file’s folder or absolute; the export’s own paths match nothing', async () => {
    const project = copyOf(unlabeledB)
    const exported = JSON.parse((await importLabels(project, exportedCsv, '--by', 'path', '--dry-run', '--json')).out)
    expect(exported.rows).toMatchObject({ matched: 0, unmatched: 17 })
    const folder = projectA.folder
    const csv = writeCsv(
      'by-path/labels.csv',
      ['path,label', `${relative(join(dir, 'by-path'), join(folder, 'train', 'red', 'img-100.png')).split('\\').join('/')},red`, `${join(folder, 'loose.png')},blue`, ''].join('\n')
    )
    const result = JSON.parse((await importLabels(project, csv, '--json')).out)
    expect(result).toMatchObject({ by: 'path', byDefault: true, rows: { matched: 2, unmatched: 0 }, images: { labeled: 2 } })
    expect(labelsOf(project)['train/red/img-100.png']!.label).toBe('red')
    expect(labelsOf(project)['loose.png']!.label).toBe('blue')
  })

  it('counts unmatched rows, conflicting images (left alone), changes, unchanged and rows without a label', async () => {
    const project = copyOf(projectA.projectPath)
    const folder = projectA.folder
    const csv = writeCsv(
      'mixed.csv',
      [
        'label,path,note',
        `blue,${folder}/train/red/img-101.png,changes red to blue`,
        `red,${folder}/train/red/img-102.png,unchanged`,
        `red,${folder}/train/blue/img-103.png,conflict`,
        `"blue",${folder}/train/blue/img-103.png,conflict`,
        `green,${folder}/loose.png,new class`,
        `green,${folder}/loose.png,the same label twice is no conflict`,
        `red,${folder}/nowhere.png,unmatched`,
        `red,,unmatched (no path)`,
        `,${folder}/train/red/img-100.png,no label`
      ].join('\r\n')
    )
    const before = labelsOf(project)
    const dry = await importLabels(project, csv, '--dry-run')
    expect(dry.out).toContain('Matched rows by path (the file has no sha256 column).')
    expect(dry.out).toContain('Rows: 9 — 6 matched, 2 unmatched, 1 without a label (left alone).')
    expect(dry.out).toContain('Images: 1 newly labeled, 1 changed, 1 unchanged, 1 conflicting (left alone).')
    expect(dry.out).toContain('New classes: green')
    expect(dry.out).toContain(`  unmatched, line 8: ${folder}/nowhere.png`)
    expect(dry.out).toContain('  unmatched, line 9: (empty)')
    expect(dry.out).toContain(`  conflicting: ${join(folder, 'train', 'blue', 'img-103.png')} is given red, blue`)
    expect(dry.out).toContain('Dry run: nothing was changed.')
    expect(labelsOf(project)).toEqual(before)

    const result = JSON.parse((await importLabels(project, csv, '--json')).out)
    expect(result).toMatchObject({ applied: true, images: { labeled: 1, changed: 1, unchanged: 1, conflicting: 1 }, newClasses: ['green'] })
    const after = labelsOf(project)
    expect(after['train/red/img-101.png']).toEqual({ label: 'blue', origin: 'import' })
    expect(after['loose.png']).toEqual({ label: 'green', origin: 'import' })
    expect(after['train/red/img-102.png']).toEqual(before['train/red/img-102.png'])
    expect(after['train/blue/img-103.png']).toEqual(before['train/blue/img-103.png'])
    expect(after['train/red/img-100.png']).toEqual(before['train/red/img-100.png'])
  })

  it('--dry-run changes nothing: labels, classes and the undo history stay as they were', async () => {
    const project = copyOf(unlabeledB)
    const before = everything(project)
    const run = await importLabels(project, exportedCsv, '--dry-run', '--json')
    expect(JSON.parse(run.out)).toMatchObject({ dryRun: true, applied: false, undo: null, images: { labeled: 17 } })
    expect(everything(project)).toEqual(before)
  })

  it('is one undo step: the app’s undo restores every label and origin as before, redo applies it again', async () => {
    const project = copyOf(projectA.projectPath)
    // Every image of A relabeled by the file: red ↔ blue swapped, the others as they are.
    const swapped = readFileSync(exportedCsv, 'utf8').replace(/,(red|blue),/g, (_, label: string) => `,${label === 'red' ? 'blue' : 'red'},`)
    const csv = writeCsv('swapped.csv', swapped)
    const before = labelsOf(project)
    const actionsBefore = withProjectDb(project, (db) => db.prepare('SELECT count(*) FROM label_actions').pluck().get())
    const result = JSON.parse((await importLabels(project, csv, '--json')).out)
    expect(result.images).toEqual({ labeled: 0, changed: 14, unchanged: 3, conflicting: 0 })
    expect(withProjectDb(project, (db) => db.prepare('SELECT count(*) FROM label_actions').pluck().get())).toBe(Number(actionsBefore) + 1)
    expect(labelsOf(project)).not.toEqual(before)

    const db = openProjectDatabase(project)
    try {
      const labeling = new Labeling(() => db)
      expect(labeling.history().undo).toBe(result.undo)
      const undone = labeling.undo()!
      expect(undone.description).toBe(`Undo: ${result.undo}`)
      expect(undone.imageIds).toHaveLength(14)
    } finally {
      db.close()
    }
    // Folder labels come back as 'folder', the person's as 'user'.
    expect(labelsOf(project)).toEqual(before)
    const again = openProjectDatabase(project)
    try {
      const labeling = new Labeling(() => again)
      labeling.redo()
      expect(Object.values(labelsOf(project)).filter((row) => row.origin === 'import')).toHaveLength(14)
      // A person relabels an imported image; undoing that gives it back its imported label, as 'import'.
      const imageId = again.prepare("SELECT id FROM images WHERE rel_path = 'train/red/img-101.png'").pluck().get() as number
      const red = again.prepare("SELECT id FROM classes WHERE name = 'red' AND deleted_at IS NULL").pluck().get() as number
      labeling.assign([imageId], red)
      expect(labelsOf(project)['train/red/img-101.png']).toEqual({ label: 'red', origin: 'user' })
      labeling.undo()
      expect(labelsOf(project)['train/red/img-101.png']).toEqual({ label: 'blue', origin: 'import' })
    } finally {
      again.close()
    }
  })

  it('--json prints the report’s fields and no others', async () => {
    const project = copyOf(unlabeledB)
    const result = JSON.parse((await importLabels(project, exportedCsv, '--dry-run', '--json')).out)
    expect(Object.keys(result).sort()).toEqual(['applied', 'by', 'byDefault', 'conflicts', 'dryRun', 'file', 'images', 'newClasses', 'rows', 'undo', 'unmatched'])
    expect(Object.keys(result.rows).sort()).toEqual(['matched', 'total', 'unmatched', 'withoutLabel'])
    expect(Object.keys(result.images).sort()).toEqual(['changed', 'conflicting', 'labeled', 'unchanged'])
    expect(result.file).toBe(exportedCsv)
  })

  it('refuses a missing file, a file that is not CSV, and one without the columns it needs, each with one coded line', async () => {
    const project = copyOf(unlabeledB)
    const failure = async (file: string, ...args: string[]) => {
      const error = await importLabels(project, file, ...args).then(
        () => null,
        (thrown: unknown) => thrown
      )
      expect(error).not.toBeNull()
      return describeUnexpected(error)
    }
    expect(await failure(join(dir, 'absent.csv'))).toBe(`NOT_FOUND: ${join(dir, 'absent.csv')} does not exist`)
    expect(await failure(writeCsv('photo.csv', readFileSync(join(projectA.folder, 'loose.png'))))).toMatch(/^INVALID_REQUEST: .*photo\.csv is not a CSV file: it holds binary data$/)
    expect(await failure(writeCsv('latin1.csv', Buffer.from('path,label\na.png,caf\xe9\n', 'latin1')))).toMatch(/is not a CSV file: it is not UTF-8 text$/)
    expect(await failure(writeCsv('ragged.csv', 'path,label\na.png,cat,extra\n'))).toMatch(/is not a CSV file: line 2 has 3 fields but the header has 2$/)
    expect(await failure(writeCsv('open.csv', 'path,label\n"a.png,cat\n'))).toMatch(/is not a CSV file: line 2: a quoted field is never closed$/)
    expect(await failure(writeCsv('empty.csv', ''))).toMatch(/is not a CSV file: it is empty/)
    expect(await failure(writeCsv('nolabel.csv', 'path,class\na.png,cat\n'))).toMatch(/^INVALID_REQUEST: .*nolabel\.csv has no label column \(its header: path,class\)$/)
    expect(await failure(writeCsv('nokey.csv', 'file,label\na.png,cat\n'))).toMatch(/nokey\.csv has no path or sha256 column to match images by/)
    expect(await failure(writeCsv('hashes.csv', 'sha256,label\nab,cat\n'), '--by', 'path')).toMatch(/hashes\.csv has no path column to match by; it has a sha256 column \(--by sha256\)$/)
    for (const message of [await failure(join(dir, 'absent.csv'))]) expect(message).not.toContain('\n')
    expect(everything(project)).toEqual(everything(unlabeledB))
  })
})
