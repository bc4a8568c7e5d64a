import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { followJob } from '../../src-main/cli/job-session'
import { unwrap } from '../../src-main/cli/output'
import { ThumbnailStore } from '../../src-main/import/thumbnail-store'
import { answerPath, thumbnailFileFor, type RouteContext } from '../../src-main/server/app-routes'
import { rawRequest, SECRET, useBrowserServer } from '../helpers/browser-server'
import { useLabelingProject } from '../helpers/labeling-project'
import { writeGroups } from '../helpers/training-project'

const HASH = 'ab'.repeat(32)

describe('thumbnailFileFor', () => {
  const store = new ThumbnailStore('/data/thumbnails')

  it('maps a content hash to its sharded file', () => {
    expect(thumbnailFileFor(`/thumbs/${HASH}.webp`, store)).toBe(join('/data/thumbnails', 'ab', `${HASH}.webp`))
  })

  it.each([
    '/thumbs/../secret.txt',
    '/thumbs/%2e%2e/secret.txt',
    `/thumbs/${HASH.toUpperCase()}.webp`,
    `/thumbs/${HASH.slice(1)}.webp`,
    `/thumbs/${HASH}.png`,
    `/thumbs/ab/${HASH}.webp`,
    '/thumbs/'
  ])('refuses %s', (pathname) => {
    expect(thumbnailFileFor(pathname, store)).toBeNull()
  })
})

describe('the thumbnail route in browser mode', () => {
  const fixture = useBrowserServer()

  it('serves a stored thumbnail to a token holder and nothing else', async () => {
    const { server, services } = fixture()
    const webp = Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1')
    await services.thumbnails.write(HASH, webp)
    const authorization = `Bearer ${server.token}`

    const served = await rawRequest({ port: server.port, path: `/thumbs/${HASH}.webp`, headers: { authorization } })
    expect(served.status).toBe(200)
    expect(served.headers['content-type']).toBe('image/webp')
    expect(Buffer.from(served.body, 'latin1').equals(webp)).toBe(true)

    expect((await rawRequest({ port: server.port, path: `/thumbs/${HASH}.webp` })).status).toBe(401)
    expect((await rawRequest({ port: server.port, path: `/thumbs/${'cd'.repeat(32)}.webp`, headers: { authorization } })).status).toBe(404)
    for (const path of ['/thumbs/../secret.txt', '/thumbs/..%2f..%2fsecret.txt', '/thumbs/%2e%2e/%2e%2e/secret.txt']) {
      const answer = await rawRequest({ port: server.port, path, headers: { authorization } })
      expect(answer.body).not.toContain(SECRET)
      expect(answer.status).toBeGreaterThanOrEqual(400)
    }
  })
})

// Issue 13, defect 6: a symbolic link planted in the thumbnail cache (named like a thumbnail, pointing
// at /etc/hostname) was served as image/webp. Only regular files that are not links are served, for
// thumbnails and renderer files alike (opened with O_NOFOLLOW, checked on the open file).
describe('links planted where the routes read files', () => {
  const fixture = useBrowserServer()
  const get = (path: string) =>
    rawRequest({ port: fixture().server.port, path, headers: { authorization: `Bearer ${fixture().server.token}` } })

  it('a thumbnail that is a symbolic link is not served, whatever it points at', async () => {
    const { root, services } = fixture()
    const planted = services.thumbnails.pathFor(HASH)!
    mkdirSync(dirname(planted), { recursive: true })
    symlinkSync(join(root, 'secret.txt'), planted)
    const answer = await get(`/thumbs/${HASH}.webp`)
    expect(answer.status).toBe(404)
    expect(answer.body).not.toContain(SECRET)
    if (existsSync('/etc/hostname')) {
      const other = 'ef'.repeat(32)
      const path = services.thumbnails.pathFor(other)!
      mkdirSync(dirname(path), { recursive: true })
      symlinkSync('/etc/hostname', path)
      expect((await get(`/thumbs/${other}.webp`)).status).toBe(404)
    }
  })

  it('a shard folder that is a link to elsewhere is not read through', async () => {
    const { root, services } = fixture()
    const planted = services.thumbnails.pathFor(HASH)!
    const elsewhere = join(root, 'elsewhere')
    mkdirSync(elsewhere)
    writeFileSync(join(elsewhere, `${HASH}.webp`), SECRET)
    mkdirSync(dirname(dirname(planted)), { recursive: true })
    symlinkSync(elsewhere, dirname(planted))
    const answer = await get(`/thumbs/${HASH}.webp`)
    expect(answer.status).toBe(404)
    expect(answer.body).not.toContain(SECRET)
  })

  it('a renderer file that is a symbolic link is not served', async () => {
    const { root, rendererDir } = fixture()
    symlinkSync(join(root, 'secret.txt'), join(rendererDir, 'assets', 'leak.js'))
    const answer = await get('/assets/leak.js')
    expect(answer.status).toBe(404)
    expect(answer.body).not.toContain(SECRET)
    expect((await get('/assets/app.js')).status).toBe(200)
  })
})

// The routes both app shells serve (Electron's app:// and browser mode), on a real imported image.
describe('answerPath', () => {
  const project = useLabelingProject()

  async function importOne(): Promise<{ id: number; contentHash: string; routes: RouteContext }> {
    const p = project()
    const folder = join(p.dir, 'photos')
    await writeGroups(folder, [{ dir: 'red', look: 'red', count: 1 }])
    const never = new AbortController().signal
    await followJob(p.services, async () => unwrap(await p.services.call('import.start', { folder })), () => {}, never)
    const [id] = (await p.value('images.query', {})).ids
    const [detail] = await p.value('images.get', { ids: [id!] })
    const rendererDir = join(p.dir, 'renderer')
    return { id: id!, contentHash: detail!.contentHash!, routes: { rendererDir, thumbnails: p.services.thumbnails, session: p.services.session } }
  }

  it('renders a preview of an image by its id and a thumbnail by its hash, and nothing else', async () => {
    const { id, contentHash, routes } = await importOne()
    const preview = await answerPath(`/previews/${id}.webp`, routes)
    expect(preview).toMatchObject({ kind: 'bytes', contentType: 'image/webp', cacheControl: 'no-cache' })
    expect(await sharp((preview as { body: Buffer }).body).metadata()).toMatchObject({ format: 'webp', width: 20, height: 20 })
    for (const path of [`/previews/${id + 1}.webp`, '/previews/0.webp', `/previews/${id}.png`, '/previews/../secret.txt']) {
      expect(await answerPath(path, routes)).toMatchObject({ kind: 'refused', status: 404 })
    }
    const thumb = await answerPath(`/thumbs/${contentHash}.webp`, routes)
    expect(thumb).toMatchObject({ kind: 'bytes', contentType: 'image/webp' })
    expect((thumb as { body: Buffer }).body.equals(readFileSync(thumbnailFileFor(`/thumbs/${contentHash}.webp`, routes.thumbnails)!))).toBe(true)
    expect(await answerPath(`/thumbs/${'cd'.repeat(32)}.webp`, routes)).toMatchObject({ kind: 'refused', status: 404 })
  })

  it('answers renderer files with their type, the app shell for client-side views, and refuses the rest', async () => {
    const { routes } = await importOne()
    expect(await answerPath('/', routes)).toMatchObject({ kind: 'refused', status: 500 })
    mkdirSync(join(routes.rendererDir, 'assets'), { recursive: true })
    writeFileSync(join(routes.rendererDir, 'index.html'), '<!doctype html>')
    writeFileSync(join(routes.rendererDir, 'assets', 'app-1a2b.js'), 'console.log(1)')
    const shell = { kind: 'bytes', body: Buffer.from('<!doctype html>'), contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' }
    expect(await answerPath('/', routes)).toMatchObject(shell)
    expect(await answerPath('/label', routes)).toMatchObject(shell)
    expect(await answerPath('/assets/app-1a2b.js', routes)).toMatchObject({
      kind: 'bytes',
      body: Buffer.from('console.log(1)'),
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable'
    })
    expect(await answerPath('/assets/missing.js', routes)).toMatchObject({ kind: 'refused', status: 404 })
    expect(await answerPath('/%2e%2e/secret.txt', routes)).toMatchObject({ kind: 'refused', status: 400 })
  })
})
