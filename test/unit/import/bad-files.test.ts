import { existsSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  encodeNoise,
  writeBmp,
  writeBytes,
  writeEmptyFile,
  writeFifo,
  writeImage,
  writePngBomb,
  writeSymlink,
  writeTextFile,
  writeTruncated
} from '../../helpers/image-fixtures'
import { imageRows, runImport, setUpImport, type ImageRow } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// A folder of bad files never stops an import: each one becomes a 'failed' row with a code and a
// sentence, listed in the report, while every good file next to it is imported.

const temp = useTempDir('pictor-bad-')

type Report = Awaited<ReturnType<typeof runImport>>

/** The report's errors as path → code, after checking each carries a path, a code and a message. */
function errorCodes(report: Report): Record<string, string> {
  for (const error of report.errors) {
    expect(error.path).not.toBe('')
    expect(error.code).toMatch(/^[A-Z_]+$/)
    expect(error.message.length, `message for ${error.path}`).toBeGreaterThan(5)
  }
  expect(report.failed).toBe(report.errors.length)
  return Object.fromEntries(report.errors.map((error) => [error.path, error.code]))
}

/** Every reported error is also a 'failed' row with the same code and a message. */
function expectFailedRows(rows: Map<string, ImageRow>, codes: Record<string, string>): void {
  for (const [path, code] of Object.entries(codes)) {
    expect(rows.get(path), path).toMatchObject({ status: 'failed', error_code: code, content_hash: null })
    expect(rows.get(path)!.error_message, path).toBeTruthy()
  }
}

describe('bad files', () => {
  it('records every kind of bad file with its code and still imports the good ones', async () => {
    const setup = setUpImport(temp())
    const { folder } = setup
    await writeImage(folder, 'good.jpg', 'jpeg', { seed: 1 })
    await writeImage(folder, 'nest/deeper/good.png', 'png', { seed: 2 })
    writeEmptyFile(folder, 'empty.jpg')
    await writeTruncated(folder, 'cut.jpg', 'jpeg')
    await writeTruncated(folder, 'cut.png', 'png')
    writeTextFile(folder, 'notes.jpg')
    writeBmp(folder, 'old.bmp')
    writeBytes(folder, 'huge.jpg', await encodeNoise('jpeg', 400))
    writeSymlink(folder, 'dangling.jpg', join(folder, 'no-such-file.jpg'))
    writeSymlink(folder, 'self.jpg', 'self.jpg')
    writeSymlink(folder, 'nest/deeper/back', '../..')
    writeFifo(folder, 'pipe.jpg')

    const report = await runImport(setup, { maxFileBytes: 100_000 })

    expect(errorCodes(report)).toEqual({
      'empty.jpg': 'EMPTY_FILE',
      'cut.jpg': 'CORRUPT',
      'cut.png': 'CORRUPT',
      'notes.jpg': 'NOT_AN_IMAGE',
      'old.bmp': 'UNSUPPORTED_FORMAT',
      'huge.jpg': 'FILE_TOO_BIG',
      'dangling.jpg': 'DANGLING_LINK',
      'self.jpg': 'SYMLINK_LOOP',
      'nest/deeper/back': 'SYMLINK_LOOP',
      'pipe.jpg': 'NOT_A_FILE'
    })
    expect(report).toMatchObject({ imported: 2, cancelled: false })
    const rows = imageRows(setup.projectPath)
    expectFailedRows(rows, errorCodes(report))
    expect(rows.get('good.jpg')).toMatchObject({ status: 'ok', width: 64, height: 48, format: 'jpeg' })
    expect(rows.get('nest/deeper/good.png')).toMatchObject({ status: 'ok', format: 'png', folder_class: 'nest' })
    // The loop was entered once only: nothing below 'back' was imported a second time.
    expect([...rows.keys()].filter((path) => path.includes('back/'))).toEqual([])
    expect(rows.size).toBe(12)
  })

  it('refuses a decompression bomb (a 50000×50000 PNG header over a tiny body) without decoding it', async () => {
    const setup = setUpImport(temp())
    writePngBomb(setup.folder, 'bomb.png')
    await writeImage(setup.folder, 'fine.png', 'png')
    const started = Date.now()
    const report = await runImport(setup)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(report.imported).toBe(1)
    expect(report.errors.map((error) => error.path)).toEqual(['bomb.png'])
    expect(imageRows(setup.projectPath).get('bomb.png')).toMatchObject({ status: 'failed', width: null })
  })

  // Regression test for a fixed bug (image-analysis.ts): sharp's metadata() already enforces limitInputPixels and throws "Input
  // image exceeds pixel limit"; analyseImage maps every metadata() failure to CORRUPT ("the PNG header
  // cannot be read"), so the TOO_MANY_PIXELS branch is never reached and a bomb is called damaged.
  it('reports the decompression bomb as TOO_MANY_PIXELS', async () => {
    const setup = setUpImport(temp())
    writePngBomb(setup.folder, 'bomb.png')
    const report = await runImport(setup)
    expect(errorCodes(report)).toEqual({ 'bomb.png': 'TOO_MANY_PIXELS' })
  })

  // Same bug as above, through the `limits` option: a real 200×200 image over a 10000-pixel limit.
  it('reports an image over a small maxPixels limit as TOO_MANY_PIXELS', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'big.png', 'png', { width: 200, height: 200 })
    await writeImage(setup.folder, 'small.png', 'png', { width: 50, height: 50 })
    const report = await runImport(setup, { limits: { maxPixels: 10_000 } })
    expect(report.imported).toBe(1)
    expect(errorCodes(report)).toEqual({ 'big.png': 'TOO_MANY_PIXELS' })
  })

  it('a symbolic-link loop ends the walk instead of recursing forever', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'a/a.jpg')
    writeSymlink(setup.folder, 'a/b/up', '../..')
    writeSymlink(setup.folder, 'a/self', '.')
    const report = await runImport(setup)
    expect(report.imported).toBe(1)
    expect(errorCodes(report)).toEqual({ 'a/b/up': 'SYMLINK_LOOP', 'a/self': 'SYMLINK_LOOP' })
  })

  it('a file deleted after the walk but before it is read is VANISHED, and the rest is imported', async () => {
    const setup = setUpImport(temp())
    for (const [index, name] of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'].entries()) {
      await writeImage(setup.folder, name, 'jpeg', { seed: index + 1 })
    }
    const deleted: string[] = []
    const report = await runImport(setup, {
      concurrency: 1,
      onProgress: (update) => {
        // The first update ("Scanning…", total null) comes before the walk; this is after it.
        if (update.total !== null && update.done === 1 && deleted.length === 0) {
          unlinkSync(join(setup.folder, 'c.jpg'))
          deleted.push('c.jpg')
        }
      }
    })
    expect(deleted).toEqual(['c.jpg'])
    expect(errorCodes(report)).toEqual({ 'c.jpg': 'VANISHED' })
    expect(report.imported).toBe(3)
    const rows = imageRows(setup.projectPath)
    expectFailedRows(rows, { 'c.jpg': 'VANISHED' })
    expect(['a.jpg', 'b.jpg', 'd.jpg'].map((name) => rows.get(name)?.status)).toEqual(['ok', 'ok', 'ok'])
  })

  it('a named pipe is never opened, so the import does not hang on it', async () => {
    const setup = setUpImport(temp())
    writeFifo(setup.folder, 'pipe.jpg')
    writeFifo(setup.folder, 'cat/stream')
    await writeImage(setup.folder, 'cat/ok.jpg')
    const report = await Promise.race([
      runImport(setup),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the import hung on a FIFO')), 10_000))
    ])
    // 'stream' has no extension, so it is a candidate like any camera file; being a pipe it is refused.
    expect(errorCodes(report)).toEqual({ 'pipe.jpg': 'NOT_A_FILE', 'cat/stream': 'NOT_A_FILE' })
    expect(report.imported).toBe(1)
  })

  it('ignores hidden files and OS metadata folders, and counts other non-image files as skipped', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'cat/a.jpg')
    writeTextFile(setup.folder, 'README.txt')
    writeTextFile(setup.folder, 'cat/labels.csv', 'a.jpg,cat\n')
    writeTextFile(setup.folder, '.hidden.jpg')
    writeTextFile(setup.folder, '.git/objects/x.jpg')
    writeTextFile(setup.folder, '__MACOSX/cat/._a.jpg')
    writeTextFile(setup.folder, 'cat/Thumbs.db')
    const report = await runImport(setup)
    expect(report).toMatchObject({ imported: 1, skipped: 2, failed: 0, errors: [] })
    expect([...imageRows(setup.projectPath).keys()]).toEqual(['cat/a.jpg'])
  })

  it('an import of only bad files still finishes with a report and no thumbnails', async () => {
    const setup = setUpImport(temp())
    writeEmptyFile(setup.folder, 'a.jpg')
    writeFileSync(join(setup.folder, 'b.png'), 'PNG? no.')
    const report = await runImport(setup)
    expect(errorCodes(report)).toEqual({ 'a.jpg': 'EMPTY_FILE', 'b.png': 'NOT_AN_IMAGE' })
    expect(report.imported).toBe(0)
    expect(existsSync(setup.thumbnailDir) ? readdirSync(setup.thumbnailDir) : []).toEqual([])
  })
})
