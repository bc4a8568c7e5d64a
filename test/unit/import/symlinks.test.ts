import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { followJob } from '../../../src-main/cli/job-session'
import { unwrap } from '../../../src-main/cli/output'
import type { ImportReport } from '../../../src-main/contract/types'
import { writeImage, writeSymlink } from '../../helpers/image-fixtures'
import { imageRows, runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { useLabelingProject } from '../../helpers/labeling-project'
import { useTempDir } from '../../helpers/temp-dir'

// Issue 13, defect 6: a folder link inside the imported folder led the importer into another tree
// and imported its images. By default an import never leaves the folder the user chose (links are
// resolved to real paths and must stay inside); `followLinks` (contract) / `--follow-links` (CLI)
// opts in. A link left out is reported like any other skipped entry, with the code LINK_OUTSIDE.

const temp = useTempDir('pictor-links-')

/**
 * photos/cat/a.jpg, photos/.stash/b.jpg (hidden: reached only through the inside link 'bird'), and
 * elsewhere/{secret/x.jpg, loose.jpg} reached through links that leave photos/.
 */
async function linkedTree(dir: string): Promise<ImportSetup & { outside: string }> {
  const setup = setUpImport(dir)
  const outside = join(dir, 'elsewhere')
  await writeImage(outside, 'secret/x.jpg', 'jpeg', { seed: 9 })
  await writeImage(outside, 'loose.jpg', 'jpeg', { seed: 8 })
  await writeImage(setup.folder, 'cat/a.jpg', 'jpeg', { seed: 1 })
  await writeImage(setup.folder, '.stash/b.jpg', 'jpeg', { seed: 2 })
  writeSymlink(setup.folder, 'dog', join(outside, 'secret')) // absolute folder link out
  writeSymlink(setup.folder, 'cat/up', '../../elsewhere') // relative folder link out
  writeSymlink(setup.folder, 'stray.jpg', join(outside, 'loose.jpg')) // file link out
  writeSymlink(setup.folder, 'cat/same.jpg', 'a.jpg') // file link that stays inside
  writeSymlink(setup.folder, 'bird', '.stash') // folder link that stays inside
  writeSymlink(setup.folder, 'bird/back-out', '../../elsewhere/loose.jpg') // out again, from inside a followed link
  return { ...setup, outside }
}

const codes = (report: ImportReport) => Object.fromEntries(report.errors.map((error) => [error.path, error.code]))
const okPaths = (setup: ImportSetup) =>
  [...imageRows(setup.projectPath).values()].filter((row) => row.status === 'ok').map((row) => row.rel_path).sort()

describe('symbolic links while importing', () => {
  it('by default stays inside the chosen folder and reports every link that leaves it', async () => {
    const setup = await linkedTree(temp())
    const report = await runImport(setup)
    expect(codes(report)).toEqual({
      dog: 'LINK_OUTSIDE',
      'cat/up': 'LINK_OUTSIDE',
      'stray.jpg': 'LINK_OUTSIDE',
      'bird/back-out': 'LINK_OUTSIDE'
    })
    for (const error of report.errors) expect(error.message).toMatch(/outside the imported folder/)
    expect(okPaths(setup)).toEqual(['bird/b.jpg', 'cat/a.jpg', 'cat/same.jpg'])
    expect(report).toMatchObject({ imported: 3, failed: 4, cancelled: false })
  })

  it('confines to the real folder when the folder itself is given through a link', async () => {
    const dir = temp()
    const setup = await linkedTree(dir)
    symlinkSync(setup.folder, join(dir, 'photos-link'))
    const report = await runImport({ ...setup, folder: join(dir, 'photos-link') })
    expect(Object.values(codes(report))).toEqual(['LINK_OUTSIDE', 'LINK_OUTSIDE', 'LINK_OUTSIDE', 'LINK_OUTSIDE'])
    expect(report.imported).toBe(3)
  })

  it('follows links out of the folder when asked to', async () => {
    const setup = await linkedTree(temp())
    const report = await runImport(setup, { followLinks: true })
    expect(Object.values(codes(report))).not.toContain('LINK_OUTSIDE')
    const paths = okPaths(setup)
    for (const path of ['dog/x.jpg', 'stray.jpg', 'cat/up/loose.jpg', 'bird/back-out', 'cat/a.jpg', 'bird/b.jpg']) {
      if (path.endsWith('.jpg')) expect(paths, path).toContain(path)
    }
  })
})

describe('followLinks through the contract and the CLI', () => {
  const project = useLabelingProject()

  async function importThrough(folder: string, followLinks?: boolean): Promise<ImportReport> {
    const p = project()
    const request = followLinks === undefined ? { folder } : { folder, followLinks }
    const { outcome } = await followJob(p.services, async () => unwrap(await p.services.call('import.start', request)), () => {}, new AbortController().signal)
    expect(outcome.state, outcome.message).toBe('done')
    return (outcome.result as { kind: 'import'; report: ImportReport }).report
  }

  it('import.start leaves links out by default and follows them with followLinks: true', async () => {
    const setup = await linkedTree(join(project().dir))
    const confined = await importThrough(setup.folder)
    expect(codes(confined)).toMatchObject({ dog: 'LINK_OUTSIDE' })
    const followed = await importThrough(setup.folder, true)
    expect(Object.values(codes(followed))).not.toContain('LINK_OUTSIDE')
    // A rescan: the inside files are unchanged; dog/x.jpg and cat/up/loose.jpg are new; stray.jpg
    // and bird/back-out, failed (LINK_OUTSIDE) before, are read now.
    expect(followed).toMatchObject({ unchanged: 3, imported: 2, updated: 2 })
    expect(await project().value('images.query', { search: 'x.jpg' })).toMatchObject({ ids: [expect.any(Number)] })
  })

  it('pictor import --follow-links follows them; without it they are reported', { timeout: 120_000 }, async () => {
    const cli = resolve('out/main/cli.js')
    if (!existsSync(cli)) throw new Error(`${cli} is not built: run \`npm run build\` before the unit tests`)
    const dir = project().dir
    mkdirSync(join(dir, 'cli'))
    const setup = await linkedTree(join(dir, 'cli'))
    const run = (...extra: string[]) => {
      const result = spawnSync(process.execPath, [cli, 'import', setup.folder, '--project', setup.projectPath, '--json', ...extra], {
        encoding: 'utf8',
        env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'cli-data') },
        timeout: 100_000
      })
      expect(result.status, result.stderr).toBe(0)
      return JSON.parse(result.stdout) as ImportReport
    }
    expect(codes(run())).toMatchObject({ dog: 'LINK_OUTSIDE', 'stray.jpg': 'LINK_OUTSIDE' })
    const followed = run('--follow-links')
    expect(Object.values(codes(followed))).not.toContain('LINK_OUTSIDE')
    expect(okPaths(setup)).toContain('dog/x.jpg')
  })
})
