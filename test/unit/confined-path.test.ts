import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contentTypeFor, resolveConfinedPath } from '../../src-main/server/app-routes'
import { useTempDir } from '../helpers/temp-dir'

// The one gate for every route that serves files: whatever the URL, the answer is a path inside
// the root or null.

const tempDir = useTempDir()

/** root/ holds index.html and assets/app.js; a secret sits next to root, outside it. */
function layout(): string {
  const root = join(tempDir(), 'root')
  mkdirSync(join(root, 'assets'), { recursive: true })
  writeFileSync(join(root, 'index.html'), '<!doctype html>')
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(tempDir(), 'secret.txt'), 'top secret')
  return root
}

function expectInside(root: string, result: string | null): void {
  expect(result).not.toBeNull()
  const inside = relative(root, result!)
  expect(inside === '..' || inside.startsWith(`..${sep}`)).toBe(false)
  expect(inside.split(sep)).not.toContain('..')
}

describe('resolveConfinedPath', () => {
  it('maps ordinary paths onto files inside the root', () => {
    const root = layout()
    expect(resolveConfinedPath(root, '/index.html')).toBe(join(root, 'index.html'))
    expect(resolveConfinedPath(root, '/assets/app.js')).toBe(join(root, 'assets', 'app.js'))
    expect(readFileSync(resolveConfinedPath(root, '/assets/app.js')!, 'utf8')).toBe('console.log(1)')
    expect(resolveConfinedPath(root, 'assets/app.js')).toBe(join(root, 'assets', 'app.js'))
  })

  it('decodes ordinary percent-encoding', () => {
    const root = layout()
    expect(resolveConfinedPath(root, '/assets/my%20file.js')).toBe(join(root, 'assets', 'my file.js'))
    expect(resolveConfinedPath(root, '/caf%C3%A9.png')).toBe(join(root, 'café.png'))
  })

  it('maps / (and empty or dot-only paths) to the root itself, never above it', () => {
    const root = layout()
    expect(resolveConfinedPath(root, '/')).toBe(root)
    expect(resolveConfinedPath(root, '')).toBe(root)
    expect(resolveConfinedPath(root, '/./.')).toBe(root)
    expect(resolveConfinedPath(`${root}${sep}`, '/index.html')).toBe(join(root, 'index.html'))
  })

  it('collapses repeated and dot segments', () => {
    const root = layout()
    expect(resolveConfinedPath(root, '//assets///app.js')).toBe(join(root, 'assets', 'app.js'))
    expect(resolveConfinedPath(root, '/./assets/./app.js')).toBe(join(root, 'assets', 'app.js'))
  })

  it('refuses .. segments, even ones that would land back inside', () => {
    const root = layout()
    for (const path of ['/..', '/../secret.txt', '/assets/../../secret.txt', '/assets/../index.html', '..', '/a/b/../../..']) {
      expect(resolveConfinedPath(root, path), path).toBeNull()
    }
  })

  it('refuses percent-encoded dots and slashes', () => {
    const root = layout()
    for (const path of [
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/.%2e/secret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/%2f..%2f..%2fsecret.txt',
      '/%2F..%2Fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt'
    ]) {
      expect(resolveConfinedPath(root, path), path).toBeNull()
    }
  })

  it('refuses backslashes, raw or encoded', () => {
    const root = layout()
    for (const path of ['/..\\secret.txt', '/assets\\app.js', '/%5c..%5csecret.txt', '/%5C%2e%2e%5Csecret.txt']) {
      expect(resolveConfinedPath(root, path), path).toBeNull()
    }
  })

  it('refuses NUL bytes, raw or encoded', () => {
    const root = layout()
    for (const path of ['/index.html%00.png', '/index.html\0.png', '/%00', '/assets/%00/../../secret.txt']) {
      expect(resolveConfinedPath(root, path), JSON.stringify(path)).toBeNull()
    }
  })

  it('refuses malformed percent-encoding instead of throwing', () => {
    const root = layout()
    for (const path of ['/%', '/%zz', '/%E0%A4%A', '/assets/%C3', '/%%2e%2e']) {
      expect(() => resolveConfinedPath(root, path), path).not.toThrow()
      expect(resolveConfinedPath(root, path), path).toBeNull()
    }
  })

  it('keeps absolute-looking paths inside the root', () => {
    const root = layout()
    const candidates = [
      '//etc/passwd',
      '/etc/passwd',
      `/${tempDir()}/secret.txt`,
      '/%2fetc%2fpasswd',
      '/%2F%2Fetc/passwd',
      '/C:/Windows/win.ini',
      '/C%3A%2FWindows%2Fwin.ini',
      '/~/secret.txt'
    ]
    for (const path of candidates) {
      const result = resolveConfinedPath(root, path)
      if (result !== null) expectInside(root, result)
    }
    expect(resolveConfinedPath(root, '//etc/passwd')).toBe(join(root, 'etc', 'passwd'))
    expect(resolveConfinedPath(root, '/%2fetc%2fpasswd')).toBe(join(root, 'etc', 'passwd'))
  })

  it('never returns a path outside the root for any of a batch of hostile inputs', () => {
    const root = layout()
    const pieces = ['..', '.', '%2e', '%2E%2e', '%2f', '%5c', '/', '\\', '%00', 'assets', 'secret.txt', '%', '~']
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          const path = `/${a}/${b}${c}/secret.txt`
          const result = resolveConfinedPath(root, path)
          if (result !== null) expectInside(root, result)
        }
      }
    }
  })
})

describe('contentTypeFor', () => {
  it('knows the renderer file types and falls back to octet-stream', () => {
    expect(contentTypeFor('/r/index.html')).toBe('text/html; charset=utf-8')
    expect(contentTypeFor('/r/assets/app.JS')).toBe('text/javascript; charset=utf-8')
    expect(contentTypeFor('/r/a.wasm')).toBe('application/wasm')
    expect(contentTypeFor('/r/a.exe')).toBe('application/octet-stream')
    expect(contentTypeFor('/r/README')).toBe('application/octet-stream')
  })
})
