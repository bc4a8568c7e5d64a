import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { followJob } from '../../src-main/cli/job-session'
import { unwrap } from '../../src-main/cli/output'
import { answerPath, type RouteContext } from '../../src-main/server/app-routes'
import { createServices } from '../../src-main/services/services'
import { createThumbnailRebuilder } from '../../src-main/services/thumbnail-rebuild'
import { useLabelingProject } from '../helpers/labeling-project'
import { lookPng, writeGroups } from '../helpers/training-project'

// Issue 14, finding 1: thumbnails live in the data folder, the project elsewhere. Opened with another
// data folder (another computer or user, PICTOR_DATA_DIR, a cleared cache), every /thumbs/<hash>.webp
// answered 404 for good. A missing thumbnail is now made again on request from the image's own file
// (the same bytes the import wrote), a few at a time; a hash whose file is gone or changed stays 404.

describe('a thumbnail missing from the data folder', () => {
  const project = useLabelingProject()

  async function importFolder(count: number) {
    const p = project()
    const folder = join(p.dir, 'photos')
    await writeGroups(folder, [{ dir: 'red', look: 'red', count }])
    const never = new AbortController().signal
    await followJob(p.services, async () => unwrap(await p.services.call('import.start', { folder })), () => {}, never)
    const { ids } = await p.value('images.query', {})
    const images = await p.value('images.get', { ids })
    const routes: RouteContext = { rendererDir: join(p.dir, 'renderer'), thumbnails: p.services.thumbnails, session: p.services.session }
    return { p, folder, images, routes }
  }

  const thumbPath = (hash: string) => `/thumbs/${hash}.webp`

  it('is made again from the image when the cache was cleared, byte for byte what the import wrote', async () => {
    const { p, images, routes } = await importFolder(3)
    const written = images.map((image) => readFileSync(p.services.thumbnails.pathFor(image.contentHash!)!))
    rmSync(p.services.thumbnails.dir, { recursive: true })
    for (const [index, image] of images.entries()) {
      const answer = await answerPath(thumbPath(image.contentHash!), routes)
      expect(answer).toMatchObject({ kind: 'bytes', contentType: 'image/webp' })
      const body = (answer as { body: Buffer }).body
      expect(body.equals(written[index]!)).toBe(true)
      expect(existsSync(p.services.thumbnails.pathFor(image.contentHash!)!)).toBe(true)
    }
  })

  it('is made in another data folder that opens the same project (PICTOR_DATA_DIR, another computer)', async () => {
    const { p, images } = await importFolder(2)
    const elsewhere = createServices({ dataDir: join(p.dir, 'other-data'), transport: 'browser' })
    try {
      unwrap(await elsewhere.call('project.open', { path: p.path }))
      const routes: RouteContext = { rendererDir: join(p.dir, 'renderer'), thumbnails: elsewhere.thumbnails, session: elsewhere.session }
      const hash = images[0]!.contentHash!
      expect(existsSync(elsewhere.thumbnails.pathFor(hash)!)).toBe(false)
      // Thirty tiles asking at once for the same thumbnail: one decode, every one answered.
      const answers = await Promise.all(Array.from({ length: 30 }, () => answerPath(thumbPath(hash), routes)))
      expect(answers.every((answer) => answer.kind === 'bytes')).toBe(true)
      const meta = await sharp((answers[0] as { body: Buffer }).body).metadata()
      expect(meta).toMatchObject({ format: 'webp', width: 20, height: 20 })
    } finally {
      elsewhere.close()
    }
  })

  it('stays missing (404, nothing written) when the file is gone or its content changed, or the hash is not the project’s', async () => {
    const { p, folder, images, routes } = await importFolder(3)
    rmSync(p.services.thumbnails.dir, { recursive: true })
    const [gone, changed] = images
    rmSync(join(folder, gone!.relPath))
    // Same name, other bytes: its thumbnail would be another image's under the old hash.
    writeFileSync(join(folder, changed!.relPath), await lookPng('blue', 999))
    for (const hash of [gone!.contentHash!, changed!.contentHash!, 'cd'.repeat(32)]) {
      expect(await answerPath(thumbPath(hash), routes)).toMatchObject({ kind: 'refused', status: 404 })
      expect(existsSync(p.services.thumbnails.pathFor(hash)!)).toBe(false)
    }
    expect(await answerPath(thumbPath(images[2]!.contentHash!), routes)).toMatchObject({ kind: 'bytes' })
  })

  it('is refused as busy (503, retry) beyond its queue, never decoded without bound', async () => {
    const { p, images } = await importFolder(6)
    rmSync(p.services.thumbnails.dir, { recursive: true })
    const routes: RouteContext = {
      rendererDir: join(p.dir, 'renderer'),
      thumbnails: p.services.thumbnails,
      session: p.services.session,
      rebuildThumbnail: createThumbnailRebuilder({ decodes: 1, waiting: 1, maxFileBytes: 2 ** 20 })
    }
    // Six at once against one decode and one place in the queue: some must be told to come back.
    const answers = await Promise.all(images.map((image) => answerPath(thumbPath(image.contentHash!), routes)))
    const busy = { kind: 'refused', status: 503, text: 'thumbnails are busy; try again in a moment', retryAfterSeconds: 1 }
    expect(answers.filter((answer) => answer.kind === 'refused').length).toBeGreaterThan(0)
    for (const answer of answers) expect(answer.kind === 'bytes' || JSON.stringify(answer) === JSON.stringify(busy)).toBe(true)
    // Asked again (as the page does after Retry-After), every one is there.
    for (const image of images) expect(await answerPath(thumbPath(image.contentHash!), routes)).toMatchObject({ kind: 'bytes' })
  })
})
