import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImportInput } from '../../../src-main/import/import-folder'
import type { ImportReport } from '../../../src-main/import/import-report'
import { ThumbnailStore } from '../../../src-main/import/thumbnail-store'
import { runInWorker } from '../../../src-main/jobs/worker-job'
import importWorkerPath from '../../../src-main/workers/import-worker?modulePath'
import { writeImage, writePngBomb, writeRotatedJpeg, writeTextFile, writeTruncated } from '../../helpers/image-fixtures'
import { imageRows, runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// The import worker decodes on helper threads, one per core (workers/import-decoders.ts); tests
// that call importFolder directly decode on their own thread. Both must store exactly the same.

const temp = useTempDir('pictor-decode-threads-')

/** Good files of several kinds, a duplicate, and files that fail for different reasons. */
async function mixedFolder(folder: string): Promise<void> {
  for (let seed = 1; seed <= 12; seed++) await writeImage(folder, `cat/${seed}.jpg`, 'jpeg', { seed, width: 300, height: 200 })
  await writeImage(folder, 'dog/a.png', 'png', { seed: 40 })
  await writeImage(folder, 'dog/b.webp', 'webp', { seed: 41 })
  await writeRotatedJpeg(folder, 'dog/rotated.jpg', 60, 30)
  copyFileSync(join(folder, 'cat', '1.jpg'), join(folder, 'dog', 'same-as-cat-1.jpg'))
  writeTextFile(folder, 'dog/notes.jpg')
  await writeTruncated(folder, 'dog/cut.jpg', 'jpeg')
  writePngBomb(folder, 'dog/bomb.png')
}

function stored(setup: ImportSetup) {
  const store = new ThumbnailStore(setup.thumbnailDir)
  return [...imageRows(setup.projectPath).values()]
    .map((row) => ({
      path: row.rel_path,
      status: row.status,
      error: row.error_code,
      hash: row.content_hash,
      phash: row.phash,
      size: [row.width, row.height],
      thumbnail: row.content_hash ? readFileSync(store.pathFor(row.content_hash)!).toString('base64') : null
    }))
    .sort((a, b) => a.path.localeCompare(b.path))
}

describe('decoding on helper threads', () => {
  it('stores the same rows, hashes and thumbnails as decoding on the import thread, bad files included', async () => {
    const inThread = setUpImport(temp())
    await mixedFolder(inThread.folder)
    const other = join(temp(), 'other')
    mkdirSync(other)
    const helpers = { ...setUpImport(other), folder: inThread.folder }

    const direct = await runImport(inThread)
    const viaWorker = await runInWorker<ImportInput, ImportReport>(importWorkerPath, { ...helpers }, { signal: new AbortController().signal, onProgress: () => {} })

    for (const report of [direct, viaWorker]) {
      expect(report).toMatchObject({ imported: 16, failed: 3, duplicates: 1, cancelled: false })
    }
    expect(Object.fromEntries(viaWorker.errors.map((error) => [error.path, error.code]))).toEqual({
      'dog/notes.jpg': 'NOT_AN_IMAGE',
      'dog/cut.jpg': 'CORRUPT',
      'dog/bomb.png': 'TOO_MANY_PIXELS'
    })
    expect(stored(helpers)).toEqual(stored(inThread))
  })

  it('a re-run through the worker reads nothing again and changes nothing', async () => {
    const setup = setUpImport(temp())
    await mixedFolder(setup.folder)
    const context = { signal: new AbortController().signal, onProgress: () => {} }
    await runInWorker<ImportInput, ImportReport>(importWorkerPath, { ...setup }, context)
    const before = stored(setup)
    const again = await runInWorker<ImportInput, ImportReport>(importWorkerPath, { ...setup }, context)
    // Failed files are tried again (a fixed permission changes neither size nor time); good ones are not.
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 16, failed: 3 })
    expect(stored(setup)).toEqual(before)
  })
})
