import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ThumbnailStore } from '../../src-main/import/thumbnail-store'
import { thumbnailFileFor } from '../../src-main/server/thumbnail-route'
import { rawRequest, SECRET, useBrowserServer } from '../helpers/browser-server'

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
