import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ThumbnailStore } from '../../../src-main/import/thumbnail-store'
import { writeImage } from '../../helpers/image-fixtures'
import { imageRows, labelRows, runImport, setUpImport } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// File names are stored exactly as the file system spells them, whatever the script: the rel_path
// is how a later rescan finds the same file again, so it must round-trip byte for byte.

const temp = useTempDir('pictor-names-')

const NAMES = [
  '猫の写真.jpg', // Japanese
  'قطة صغيرة.png', // Arabic, with a space
  '🐱 cat 🐈‍⬛.jpg', // emoji, including a ZWJ sequence
  'caf\u00e9.jpg', // é precomposed (NFC)
  'cafe\u0301.jpg', // e + combining acute (NFD): a different file on Linux
  '  leading and  double spaces .webp',
  'line\nbreak.jpg',
  'tab\there.gif',
  'Ελληνικά/Привет/שלום.jpg', // Greek class folder, deeper Cyrillic folder, Hebrew name
  'percent %20 and #hash?.png'
]

describe('file names', () => {
  it('imports files named in many scripts and stores each rel_path exactly', async () => {
    const setup = setUpImport(temp())
    for (const [index, name] of NAMES.entries()) {
      const format = name.endsWith('.png') ? 'png' : name.endsWith('.webp') ? 'webp' : name.endsWith('.gif') ? 'gif' : 'jpeg'
      await writeImage(setup.folder, name, format, { seed: index + 1 })
    }
    const report = await runImport(setup)
    expect(report.errors).toEqual([])
    expect(report.imported).toBe(NAMES.length)

    const rows = imageRows(setup.projectPath)
    expect([...rows.keys()].sort()).toEqual([...NAMES].sort())
    for (const name of NAMES) {
      const row = rows.get(name)!
      expect(Buffer.from(row.rel_path, 'utf8').equals(Buffer.from(name, 'utf8')), JSON.stringify(name)).toBe(true)
      expect(row.status).toBe('ok')
      expect(new ThumbnailStore(setup.thumbnailDir).has(row.content_hash!)).toBe(true)
    }
    // The NFC and NFD spellings are two files, two rows.
    expect(rows.get('caf\u00e9.jpg')!.id).not.toBe(rows.get('cafe\u0301.jpg')!.id)
    expect(labelRows(setup.projectPath).get('Ελληνικά/Привет/שלום.jpg')).toMatchObject({ class_name: 'Ελληνικά', origin: 'folder' })
  })

  it('a rescan finds every unusually named file unchanged (the stored paths match the disk)', async () => {
    const setup = setUpImport(temp())
    for (const [index, name] of NAMES.entries()) await writeImage(setup.folder, name, 'jpeg', { seed: index + 1 })
    await runImport(setup)
    const rescan = await runImport(setup)
    expect(rescan).toMatchObject({ imported: 0, updated: 0, removed: 0, unchanged: NAMES.length })
  })

  it('class folders spelled in NFC and NFD are one class, named in NFC', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'Caf\u00e9/a.jpg', 'jpeg', { seed: 1 })
    await writeImage(setup.folder, 'Cafe\u0301/b.jpg', 'jpeg', { seed: 2 })
    await runImport(setup)
    const labels = labelRows(setup.projectPath)
    expect(labels.get('Caf\u00e9/a.jpg')?.class_name).toBe('Caf\u00e9')
    expect(labels.get('Cafe\u0301/b.jpg')?.class_name).toBe('Caf\u00e9')
  })

  /** Writes "bad<0xff>.jpg": a byte sequence no UTF-8 decoder accepts, as old Latin-1 archives hold. */
  function writeBadlyNamedFile(folder: string): void {
    writeFileSync(Buffer.concat([Buffer.from(`${folder}/bad`), Buffer.from([0xff]), Buffer.from('.jpg')]), 'never read')
  }

  it('a name that is not valid UTF-8 is recorded as failed and the rest is imported', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'fine.jpg')
    writeBadlyNamedFile(setup.folder)
    const report = await runImport(setup)
    expect(report.imported).toBe(1)
    expect(report.errors.map((error) => error.path)).toEqual(['bad\uFFFD.jpg'])
    expect(imageRows(setup.projectPath).get('bad\uFFFD.jpg')).toMatchObject({ status: 'failed' })
  })

  // Regression test for a fixed bug (walk.ts): the '\uFFFD' check runs only after statEntry() succeeded, but the lossily decoded
  // name never exists on disk, so stat answers ENOENT first and the file is reported as VANISHED ("the
  // file disappeared during the import"). BAD_NAME is unreachable for files.
  it('reports that file as BAD_NAME, not VANISHED', async () => {
    const setup = setUpImport(temp())
    writeBadlyNamedFile(setup.folder)
    const report = await runImport(setup)
    expect(report.errors).toEqual([{ path: 'bad\uFFFD.jpg', code: 'BAD_NAME', message: expect.stringContaining('Unicode') }])
  })
})
