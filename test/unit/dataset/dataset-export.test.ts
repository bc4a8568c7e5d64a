import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { exportDataset, type DatasetExportInput, type DatasetExportResult } from '../../../src-main/dataset/dataset-export'
import type { DatasetFormat } from '../../../src-main/dataset/dataset-plan'
import { classFolders, fileNames, safeFolderName } from '../../../src-main/dataset/safe-names'
import type { ProgressUpdate } from '../../../src-main/jobs/job'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, filesOnDisk, listFiles, projectCounts, QUOTED, type DatasetProject } from './dataset-project'

// The dataset export job on a real project of real PNGs: what lands on disk for each format matches
// the project's own counts per class and split, names are safe and deterministic, and the files beside
// the images (classes.json, metadata.jsonl, dataset.csv, README.md) say what the tree holds.

let dir: string
let project: DatasetProject

beforeAll(async () => {
  dir = makeTempDir('pictor-dataset-')
  project = await createDatasetProject(join(dir, 'project'))
}, 120_000)

afterAll(() => removeTempDir(dir))

async function run(out: string, options: Partial<Omit<DatasetExportInput, 'db' | 'dir'>> = {}, signal = new AbortController().signal, onProgress = (_: ProgressUpdate) => {}) {
  const db = openProjectDatabase(project.projectPath)
  try {
    const input = { db, dir: join(dir, out), format: 'keras', split: 'all', mode: 'auto', includeUnlabeled: false, pictorVersion: 'test', ...options } as DatasetExportInput
    return await exportDataset(input, { signal, onProgress })
  } finally {
    db.close()
  }
}

/** RFC 4180 records (quoted fields may hold commas, doubled quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  const endField = () => {
    record.push(field)
    field = ''
  }
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"') quoted = true
    else if (char === ',') endField()
    else if (char === '\r' && text[i + 1] === '\n') {
      endField()
      records.push(record)
      record = []
      i++
    } else field += char
  }
  return records
}

const classesJson = (out: string) =>
  JSON.parse(readFileSync(join(dir, out, 'classes.json'), 'utf8')) as { names: string[]; classes: { index: number; name: string; folder: string }[] }

describe.each(['keras', 'imagefolder', 'csv'] as DatasetFormat[])('format %s', (format) => {
  let result: DatasetExportResult
  beforeAll(async () => {
    result = await run(`export-${format}`, { format })
  }, 60_000)

  it("writes as many images of each class in each split as the project holds, and says so", () => {
    const expected = projectCounts(project.projectPath)
    const byFolder = new Map(classesJson(`export-${format}`).classes.map((entry) => [entry.folder, entry.name]))
    const onDisk = Object.fromEntries(
      Object.entries(filesOnDisk(join(dir, `export-${format}`))).map(([split, folders]) => [split, Object.fromEntries(Object.entries(folders).map(([folder, n]) => [byFolder.get(folder)!, n]))])
    )
    expect(onDisk).toEqual(expected)
    const nonZero = Object.fromEntries(Object.entries(result.counts).map(([split, classes]) => [split, Object.fromEntries(Object.entries(classes).filter(([, n]) => n > 0))]))
    expect(nonZero).toEqual(expected)
    expect(result.leftOut).toMatchObject({ failed: 1, missing: 0, unlabeled: 1 })
    expect(result.images).toBe(Object.values(expected).flatMap((classes) => Object.values(classes)).reduce((a, b) => a + b, 0))
    const card = readFileSync(join(dir, `export-${format}`, 'README.md'), 'utf8')
    expect(card).toContain('| red | `red` | 5 | 2 | 1 | 8 |')
    expect(card).toContain('taken from a train/, val/ or test/ folder')
    expect(card).toContain('1 image that could not be read')
  })

  it('lists the classes in the project’s (training) order with their exact names and folders', () => {
    const trainingOrder = (() => {
      const db = openProjectDatabase(project.projectPath)
      try {
        return loadTrainingExamples(db).classes.map((entry) => entry.name)
      } finally {
        db.close()
      }
    })()
    expect(trainingOrder).toEqual([QUOTED, 'red', 'blue'])
    expect(classesJson(`export-${format}`)).toEqual({
      names: trainingOrder,
      classes: [
        { index: 0, name: QUOTED, folder: 'he said _hi_, ok' },
        { index: 1, name: 'red', folder: 'red' },
        { index: 2, name: 'blue', folder: 'blue' }
      ]
    })
  })
})

describe('names', () => {
  it('two files of one name in one class and split both get name~<hash>, the same on every export', async () => {
    const first = listFiles(join(dir, 'export-keras')).filter((path) => path.includes('same'))
    expect(first).toHaveLength(2)
    for (const path of first) expect(path).toMatch(/^train\/red\/same~[0-9a-f]{8}\.png$/)
    expect(new Set(first).size).toBe(2)
    await run('export-again')
    expect(listFiles(join(dir, 'export-again'))).toEqual(listFiles(join(dir, 'export-keras')))
    // Whatever order the images come in.
    expect(fileNames([{ fileName: 'a.jpg', sourcePath: '/x/a.jpg' }, { fileName: 'A.JPG', sourcePath: '/y/A.JPG' }]).reverse()).toEqual(
      fileNames([{ fileName: 'A.JPG', sourcePath: '/y/A.JPG' }, { fileName: 'a.jpg', sourcePath: '/x/a.jpg' }])
    )
  })

  it('class names become folder names every system accepts, kept apart when they meet', () => {
    expect(safeFolderName('cats/dogs')).toBe('cats_dogs')
    expect(safeFolderName('con')).toBe('con_')
    expect(safeFolderName('what?. ')).toBe('what_')
    expect(safeFolderName('..')).toBe('_')
    expect(classFolders(['a/b', 'a_b', 'A_B'])).toEqual(['a_b', 'a_b~2', 'A_B~3'])
  })
})

describe('files beside the images', () => {
  it('csv: one RFC 4180 row per image that parses back, the quoted class name included', () => {
    const [header, ...rows] = parseCsv(readFileSync(join(dir, 'export-csv', 'dataset.csv'), 'utf8'))
    expect(header).toEqual(['path', 'label', 'split', 'sha256', 'label_origin'])
    expect(rows).toHaveLength(listFiles(join(dir, 'export-csv')).filter((path) => path.endsWith('.png')).length)
    const quoted = rows.filter((row) => row[1] === QUOTED)
    expect(quoted).toHaveLength(3)
    for (const row of quoted) {
      expect(row[0]).toMatch(/^(train|val)\/he said _hi_, ok\/img-\d+\.png$/)
      expect(statSync(join(dir, 'export-csv', row[0]!)).isFile()).toBe(true)
      expect(row[3]).toMatch(/^[0-9a-f]{64}$/)
    }
    expect(rows.filter((row) => row[4] === 'user')).toHaveLength(1)
    expect(rows.every((row) => ['folder', 'user'].includes(row[4]!))).toBe(true)
  })

  it('imagefolder: a metadata.jsonl in each split folder, a line per image with its size, hash and label origin', () => {
    const root = join(dir, 'export-imagefolder')
    const lines = ['train', 'val', 'test'].flatMap((split) =>
      readFileSync(join(root, split, 'metadata.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => ({ ...(JSON.parse(line) as Record<string, unknown>), folder: split }) as Record<string, unknown> & { folder: string })
    )
    expect(lines).toHaveLength(listFiles(root).filter((path) => path.endsWith('.png')).length)
    for (const line of lines) expect(statSync(join(root, line.folder, line.file_name as string)).isFile()).toBe(true)
    const byPerson = lines.filter((line) => line.label_origin === 'user')
    expect(byPerson).toHaveLength(1)
    expect(byPerson[0]).toMatchObject({ label: 'blue', split: 'val', width: 20, height: 20, label_issue_score: null })
    expect(byPerson[0]!.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('--include-unlabeled puts unlabeled images in unlabeled/, outside every split', async () => {
    const result = await run('with-unlabeled', { format: 'csv', includeUnlabeled: true })
    expect(result.unlabeled).toEqual({ unsplit: 1 })
    expect(listFiles(join(dir, 'with-unlabeled')).filter((path) => path.startsWith('unlabeled/'))).toEqual(['unlabeled/loose.png'])
    expect(readFileSync(join(dir, 'with-unlabeled', 'dataset.csv'), 'utf8')).toContain('unlabeled/loose.png,,unsplit,')
  })

  it('--split test exports only the test split', async () => {
    const result = await run('test-only', { split: 'test' })
    expect(Object.keys(result.counts)).toEqual(['test'])
    expect(readdirSync(join(dir, 'test-only')).sort()).toEqual(['README.md', 'classes.json', 'test'])
  })
})

describe('links, copies, refusals and cancelling', () => {
  const sourceOf = (relPath: string) => statSync(join(project.folder, relPath))

  it('hard-links on one file system by default, copies with copy', async () => {
    const linked = await run('linked')
    const copied = await run('copied', { mode: 'copy' })
    expect(linked).toMatchObject({ linked: linked.images, copied: 0 })
    expect(copied).toMatchObject({ linked: 0, copied: copied.images })
    const name = readdirSync(join(dir, 'linked', 'test', 'red'))[0]!
    expect(statSync(join(dir, 'linked', 'test', 'red', name)).ino).toBe(sourceOf(`test/red/${name}`).ino)
    expect(statSync(join(dir, 'copied', 'test', 'red', name)).ino).not.toBe(sourceOf(`test/red/${name}`).ino)
    expect(readFileSync(join(dir, 'copied', 'test', 'red', name))).toEqual(readFileSync(join(project.folder, 'test', 'red', name)))
  })

  it('fills an empty folder', async () => {
    mkdirSync(join(dir, 'empty'))
    const result = await run('empty')
    expect(listFiles(join(dir, 'empty'))).toHaveLength(result.images + 2)
  })

  it('cancelled midway: no destination and no temporary folder are left', async () => {
    const controller = new AbortController()
    const parent = join(dir, 'cancel-parent')
    mkdirSync(parent)
    const outcome = run('cancel-parent/out', {}, controller.signal, (update) => {
      if (update.done === 3) controller.abort()
    })
    await expect(outcome).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(readdirSync(parent)).toEqual([])
  })
})
