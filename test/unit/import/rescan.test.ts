import { copyFileSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { hammingDistance } from '../../../src-main/import/perceptual-hash'
import { encodePattern, patternPixels, writeBytes, writeImage } from '../../helpers/image-fixtures'
import { imageRows, labelRows, runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// Importing a folder again only reads what changed, keeps ids (and so labels) of changed files,
// marks vanished files missing and brings them back, and finds exact and near duplicates.

const temp = useTempDir('pictor-rescan-')

async function threeCats(setup: ImportSetup): Promise<void> {
  for (const [index, name] of ['a.jpg', 'b.jpg', 'c.jpg'].entries()) {
    await writeImage(setup.folder, `cat/${name}`, 'jpeg', { seed: index + 1 })
  }
}

/** Every file under the thumbnail folder, relative to it. */
function thumbnailFiles(setup: ImportSetup): string[] {
  const files: string[] = []
  for (const entry of readdirSync(setup.thumbnailDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(relative(setup.thumbnailDir, join(entry.parentPath, entry.name)))
  }
  return files.sort()
}

describe('rescan', () => {
  it('does not read unchanged files again', async () => {
    const setup = setUpImport(temp())
    await threeCats(setup)
    // A whole-second mtime, so setting it again below gives exactly the same value.
    const path = join(setup.folder, 'cat/a.jpg')
    utimesSync(path, 1_700_000_000, 1_700_000_000)
    const first = await runImport(setup)
    expect(first).toMatchObject({ imported: 3, unchanged: 0 })
    const before = imageRows(setup.projectPath).get('cat/a.jpg')!

    // Same size and mtime, different bytes: only a re-read could notice, and none happens.
    writeFileSync(path, Buffer.alloc(statSync(path).size, 0x55))
    utimesSync(path, 1_700_000_000, 1_700_000_000)
    const again = await runImport(setup)
    expect(again).toMatchObject({ imported: 0, updated: 0, removed: 0, failed: 0, unchanged: 3, classes: { cat: 3 } })
    expect(imageRows(setup.projectPath).get('cat/a.jpg')).toEqual(before)
  })

  it('re-reads a modified file in place: new hash and size, same id, same label', async () => {
    const setup = setUpImport(temp())
    await threeCats(setup)
    await runImport(setup)
    const before = imageRows(setup.projectPath).get('cat/b.jpg')!
    const path = await writeImage(setup.folder, 'cat/b.jpg', 'png', { seed: 99, width: 80, height: 40 })
    utimesSync(path, new Date(), new Date(before.mtime_ms + 10_000))

    const report = await runImport(setup)
    expect(report).toMatchObject({ updated: 1, unchanged: 2, imported: 0 })
    const after = imageRows(setup.projectPath).get('cat/b.jpg')!
    const mtimeMs = Math.trunc(statSync(path).mtimeMs)
    expect(mtimeMs).not.toBe(before.mtime_ms)
    expect(after).toMatchObject({ id: before.id, status: 'ok', width: 80, height: 40, format: 'png', mtime_ms: mtimeMs })
    expect(after.content_hash).not.toBe(before.content_hash)
    expect(after.content_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(labelRows(setup.projectPath).get('cat/b.jpg')).toMatchObject({ class_name: 'cat', origin: 'folder' })
  })

  it('marks a deleted file missing (keeping its label) and restores it when it comes back', async () => {
    const setup = setUpImport(temp())
    await threeCats(setup)
    await runImport(setup)
    const path = join(setup.folder, 'cat/c.jpg')
    const bytes = readFileSync(path)
    const before = imageRows(setup.projectPath).get('cat/c.jpg')!
    unlinkSync(path)

    const gone = await runImport(setup)
    expect(gone).toMatchObject({ removed: 1, unchanged: 2, classes: { cat: 2 } })
    expect(imageRows(setup.projectPath).get('cat/c.jpg')).toMatchObject({ id: before.id, status: 'missing' })
    expect(labelRows(setup.projectPath).get('cat/c.jpg')?.class_name).toBe('cat')
    expect(await runImport(setup)).toMatchObject({ removed: 0, unchanged: 2 })

    writeFileSync(path, bytes)
    const back = await runImport(setup)
    expect(back).toMatchObject({ imported: 1, removed: 0, classes: { cat: 3 } })
    expect(imageRows(setup.projectPath).get('cat/c.jpg')).toMatchObject({ id: before.id, status: 'ok', content_hash: before.content_hash })
  })

  it('imports a new file and leaves the others alone', async () => {
    const setup = setUpImport(temp())
    await threeCats(setup)
    await runImport(setup)
    await writeImage(setup.folder, 'dog/d.jpg', 'jpeg', { seed: 4 })
    const report = await runImport(setup)
    expect(report).toMatchObject({ imported: 1, unchanged: 3, updated: 0, classes: { cat: 3, dog: 1 } })
    expect(labelRows(setup.projectPath).get('dog/d.jpg')?.class_name).toBe('dog')
  })

  it('counts exact duplicates, keeps both rows and writes one thumbnail per content hash', async () => {
    const setup = setUpImport(temp())
    await threeCats(setup)
    copyFileSync(join(setup.folder, 'cat/a.jpg'), join(setup.folder, 'copy-of-a.jpg'))
    const report = await runImport(setup)
    expect(report).toMatchObject({ imported: 4, duplicates: 1 })
    const rows = imageRows(setup.projectPath)
    expect(rows.get('copy-of-a.jpg')!.content_hash).toBe(rows.get('cat/a.jpg')!.content_hash)

    const hashes = new Set([...rows.values()].map((row) => row.content_hash!))
    expect(hashes.size).toBe(3)
    expect(thumbnailFiles(setup)).toEqual([...hashes].map((hash) => join(hash.slice(0, 2), `${hash}.webp`)).sort())
    const thumbnail = join(setup.thumbnailDir, thumbnailFiles(setup)[0]!)
    expect((await sharp(thumbnail).metadata()).format).toBe('webp')

    // A third copy added later is a duplicate of a known hash: its thumbnail is not written again.
    const inodes = thumbnailFiles(setup).map((file) => statSync(join(setup.thumbnailDir, file)).ino)
    copyFileSync(join(setup.folder, 'cat/b.jpg'), join(setup.folder, 'copy-of-b.jpg'))
    expect(await runImport(setup)).toMatchObject({ imported: 1, duplicates: 1, unchanged: 4 })
    expect(thumbnailFiles(setup).map((file) => statSync(join(setup.thumbnailDir, file)).ino)).toEqual(inodes)
  })

  it('gives near-duplicates close perceptual hashes and different pictures distant ones', async () => {
    const setup = setUpImport(temp())
    writeBytes(setup.folder, 'original.jpg', await encodePattern('jpeg', { seed: 5, width: 96, height: 72, quality: 95 }))
    writeBytes(setup.folder, 'low-quality.jpg', await encodePattern('jpeg', { seed: 5, width: 96, height: 72, quality: 30 }))
    const resized = await sharp(patternPixels({ seed: 5, width: 96, height: 72 }), { raw: { width: 96, height: 72, channels: 3 } })
      .resize(88, 66)
      .webp()
      .toBuffer()
    writeBytes(setup.folder, 'resized.webp', resized)
    for (const seed of [6, 7, 8]) await writeImage(setup.folder, `other-${seed}.jpg`, 'jpeg', { seed, width: 96, height: 72 })
    await runImport(setup)

    const phash = Object.fromEntries([...imageRows(setup.projectPath)].map(([path, row]) => [path, row.phash!]))
    for (const hash of Object.values(phash)) expect(hash).toMatch(/^[0-9a-f]{16}$/)
    expect(new Set(Object.values(phash)).size).toBeGreaterThan(3)
    expect(hammingDistance(phash['original.jpg']!, phash['low-quality.jpg']!)).toBeLessThanOrEqual(10)
    expect(hammingDistance(phash['original.jpg']!, phash['resized.webp']!)).toBeLessThanOrEqual(10)
    for (const other of ['other-6.jpg', 'other-7.jpg', 'other-8.jpg']) {
      expect(hammingDistance(phash['original.jpg']!, phash[other]!), other).toBeGreaterThan(16)
    }
  })

  // Regression test for a fixed bug (import-folder.ts): knownHashes is loaded with every 'ok' row, the file's own old row
  // included. A file re-read because only its mtime changed (touched, copied back with a new date)
  // meets its own hash and is counted as a duplicate although no other file has those bytes.
  it('a touched file (same bytes, new mtime) is not counted as a duplicate', async () => {
    const setup = setUpImport(temp())
    const path = await writeImage(setup.folder, 'a.jpg')
    await runImport(setup)
    utimesSync(path, new Date(), new Date(Date.now() + 60_000))
    expect(await runImport(setup)).toMatchObject({ updated: 1, duplicates: 0 })
  })

  // Regression test for a fixed bug (import-folder.ts processFile): the thumbnail write sits inside the per-file try, so when
  // Pictor's own thumbnail folder cannot be written (disk full, a file where the folder should be)
  // every image is recorded as failed UNREADABLE with the mkdir/write error, and since failed rows
  // with an unchanged size and mtime are never re-read, they stay failed after the disk is fixed.
  it('an unwritable thumbnail folder is not blamed on the images, and they import once it is fixed', async () => {
    const setup = setUpImport(temp())
    await threeCats(setup)
    writeFileSync(setup.thumbnailDir, 'a file where the thumbnail folder should be')
    // The import stops with the folder's own problem, and records nothing against the images.
    await expect(runImport(setup)).rejects.toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringContaining(`cannot write thumbnails to ${setup.thumbnailDir}`)
    })
    expect([...imageRows(setup.projectPath).values()].filter((row) => row.status === 'failed')).toEqual([])
    unlinkSync(setup.thumbnailDir)
    await runImport(setup)
    expect([...imageRows(setup.projectPath).values()].map((row) => [row.status, row.error_code])).toEqual([
      ['ok', null],
      ['ok', null],
      ['ok', null]
    ])
  })
})
