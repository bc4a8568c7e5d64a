import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Envelope } from '../../src-main/contract/envelope'
import { createDispatcher, type Handlers } from '../../src-main/core/dispatcher'
import { createServices } from '../../src-main/services/services'
import { useTempDir } from '../helpers/temp-dir'
import { OtherConnection } from './db/other-connection'

// The dispatcher is the trust boundary: raw (method, request) in, an envelope out, never a throw.

function errorOf(envelope: Envelope<unknown>): { code: string; message: string } {
  if (envelope.ok) throw new Error(`expected a failed envelope, got ${JSON.stringify(envelope)}`)
  return envelope.error
}

/**
 * The real services on a real project file in a fresh data folder: the boundary as every shell
 * builds it. (Only the two tests of how a bug is reported use stand-in handlers: no real handler
 * is supposed to throw anything but an AppError.)
 */
function realServices(dataDir: string) {
  return createServices({ dataDir, transport: 'cli', logError: () => {} })
}

/** A handler table holding one handler that throws `thrown`, for the bug paths only. */
function throwing(method: 'project.current' | 'project.close', thrown: unknown): Handlers {
  return {
    [method]: () => {
      throw thrown
    }
  } as unknown as Handlers
}

describe('the dispatcher, on the real services', () => {
  const tempDir = useTempDir('pictor-dispatch-')

  it('answers UNKNOWN_METHOD for a name outside the contract, including inherited object keys', async () => {
    const services = realServices(tempDir())
    try {
      for (const method of ['project.delete', '', 'toString', '__proto__', 'constructor']) {
        const error = errorOf(await services.dispatch(method, {}))
        expect(error.code, method).toBe('UNKNOWN_METHOD')
      }
      expect(errorOf(await services.dispatch('nope.nothing', {})).message).toContain('nope.nothing')
    } finally {
      services.close()
    }
  })

  it('passes the parsed (trimmed) request to the handler and wraps its answer in ok', async () => {
    const services = realServices(tempDir())
    const path = join(tempDir(), 'cats.pictor')
    try {
      const envelope = await services.dispatch('project.create', { path: `  ${path}  `, name: ' Cats ' })
      expect(envelope).toMatchObject({ ok: true, value: { path, name: 'Cats', readOnly: false } })
      expect(existsSync(path)).toBe(true)
      const created = await services.dispatch('classes.create', { name: '  tabby  ' })
      expect(created).toMatchObject({ ok: true, value: { name: 'tabby', count: 0 } })
    } finally {
      services.close()
    }
  })

  it('refuses a wrong type, a missing or blank field, and extra keys with INVALID_REQUEST naming the field', async () => {
    const services = realServices(tempDir())
    try {
      const wrongType = errorOf(await services.dispatch('project.open', { path: 42 }))
      expect(wrongType.code).toBe('INVALID_REQUEST')
      expect(wrongType.message).toMatch(/^project\.open: path: /)
      expect(wrongType.message).toContain('expected string')
      const nameError = errorOf(await services.dispatch('project.create', { path: join(tempDir(), 'x.pictor'), name: 7 }))
      expect(nameError).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('name:') })
      expect(existsSync(join(tempDir(), 'x.pictor'))).toBe(false)

      expect(errorOf(await services.dispatch('project.open', {}))).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('path:') })
      expect(errorOf(await services.dispatch('project.open', { path: '   ' }))).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('path: a project path is required')
      })
      expect(errorOf(await services.dispatch('project.open', { path: '/tmp/a.pictor', admin: true }))).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('admin')
      })
      expect(errorOf(await services.dispatch('project.current', { sneaky: 1 }))).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('sneaky')
      })
    } finally {
      services.close()
    }
  })

  it('refuses a NUL character in a path, and a path over 4096 characters', async () => {
    const services = realServices(tempDir())
    try {
      expect(errorOf(await services.dispatch('project.open', { path: '/tmp/a\0.pictor' }))).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('path: the path contains a NUL character')
      })
      expect(errorOf(await services.dispatch('project.open', { path: `/${'a'.repeat(5000)}` }))).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('path: the path is too long')
      })
    } finally {
      services.close()
    }
  })

  it('answers an AppError from a handler, sync or async, with its own code and message, and logs nothing', async () => {
    const logged: unknown[] = []
    const services = createServices({ dataDir: tempDir(), transport: 'cli', logError: (_method, error) => logged.push(error) })
    const missing = join(tempDir(), 'nowhere.pictor')
    try {
      expect(errorOf(await services.dispatch('project.open', { path: missing }))).toEqual({ code: 'NOT_FOUND', message: `${missing} does not exist` })
      // An async handler (the import starts a job only after checking its folder).
      expect((await services.dispatch('project.create', { path: join(tempDir(), 'p.pictor') })).ok).toBe(true)
      expect(errorOf(await services.dispatch('import.start', { folder: join(tempDir(), 'no-folder') })).code).toBe('NOT_FOUND')
      expect(logged).toEqual([]) // expected errors are not bugs
    } finally {
      services.close()
    }
  })

  it('turns a plain Error (a bug) into INTERNAL and reports it to logError', async () => {
    const logged: [string, unknown][] = []
    const bug = new TypeError('x is undefined')
    const dispatch = createDispatcher(throwing('project.current', bug), { logError: (method, error) => logged.push([method, error]) })
    const error = errorOf(await dispatch('project.current', {}))
    expect(error.code).toBe('INTERNAL')
    expect(error.message).toContain('project.current')
    expect(error.message).toContain('x is undefined')
    expect(logged).toEqual([['project.current', bug]])
  })

  it('turns a thrown non-Error value into INTERNAL', async () => {
    const dispatch = createDispatcher(throwing('project.close', 'a string'), { logError: () => {} })
    const error = errorOf(await dispatch('project.close', {}))
    expect(error.code).toBe('INTERNAL')
    expect(error.message).toContain('a string')
  })

  it('never throws, whatever the transport hands it', async () => {
    const services = realServices(tempDir())
    try {
      const weird: [unknown, unknown][] = [
        [42, {}],
        [null, null],
        [undefined, undefined],
        [{ method: 'app.info' }, {}],
        [Symbol('x'), {}],
        ['project.open', null],
        ['project.open', 'a string'],
        ['project.open', [1, 2]],
        ['project.open', 17],
        ['project.create', { path: { toString: () => '/tmp/x' } }]
      ]
      for (const [method, request] of weird) {
        const envelope = await services.dispatch(method as string, request)
        expect(envelope.ok, `${String(method)}`).toBe(false)
        expect(['UNKNOWN_METHOD', 'INVALID_REQUEST']).toContain(errorOf(envelope).code)
      }
    } finally {
      services.close()
    }
  })

  it('treats a null or absent request as {} for methods without parameters', async () => {
    const services = realServices(tempDir())
    try {
      expect(await services.dispatch('project.current', null)).toEqual({ ok: true, value: null })
      expect(await services.dispatch('project.current', undefined)).toEqual({ ok: true, value: null })
    } finally {
      services.close()
    }
  })
})

describe('createServices().dispatch', () => {
  const tempDir = useTempDir()

  it('answers UNSUPPORTED for native dialogs when no DialogProvider is given', async () => {
    const services = createServices({ dataDir: tempDir(), transport: 'browser' })
    try {
      expect(services.info.nativeDialogs).toBe(false)
      for (const method of ['dialog.pickProjectToOpen', 'dialog.pickProjectToCreate', 'dialog.pickFileToSave']) {
        const error = errorOf(await services.dispatch(method, {}))
        expect(error.code, method).toBe('UNSUPPORTED')
      }
    } finally {
      services.close()
    }
  })

  it('uses the DialogProvider when one is given', async () => {
    const services = createServices({
      dataDir: tempDir(),
      transport: 'electron',
      dialogs: {
        pickProjectToOpen: async () => '/picked/open.pictor',
        pickProjectToCreate: async () => null,
        pickFolder: async () => '/picked/folder',
        pickFile: async () => '/picked/weights.h5',
        pickFileToSave: async (options) => `/picked/${options?.name ?? 'unnamed'}`
      }
    })
    try {
      expect(services.info.nativeDialogs).toBe(true)
      expect(await services.dispatch('dialog.pickProjectToOpen', {})).toEqual({ ok: true, value: '/picked/open.pictor' })
      expect(await services.dispatch('dialog.pickProjectToCreate', {})).toEqual({ ok: true, value: null })
      expect(await services.dispatch('dialog.pickFileToSave', { name: 'run-3-report.html', extensions: ['html'] })).toEqual({ ok: true, value: '/picked/run-3-report.html' })
      for (const name of ['../x.html', 'a/b.html', '..', '']) expect(errorOf(await services.dispatch('dialog.pickFileToSave', { name })).code, name).toBe('INVALID_REQUEST')
    } finally {
      services.close()
    }
  })

  it('answers NO_PROJECT for library.summary before a project is open, and validates like the bare dispatcher', async () => {
    const services = createServices({ dataDir: tempDir(), transport: 'cli' })
    try {
      expect(errorOf(await services.dispatch('library.summary', {})).code).toBe('NO_PROJECT')
      expect(errorOf(await services.dispatch('project.open', { path: 1 })).code).toBe('INVALID_REQUEST')
      expect(errorOf(await services.dispatch(42 as unknown as string, null)).code).toBe('UNKNOWN_METHOD')
      const info = await services.call('app.info', {})
      expect(info.ok && info.value.transport).toBe('cli')
    } finally {
      services.close()
    }
  })

  it('answers BUSY with a plain sentence, not INTERNAL, when another connection holds the write lock past the wait budget', async () => {
    const services = createServices({ dataDir: tempDir(), transport: 'cli' })
    const path = join(tempDir(), 'busy.pictor')
    let other: OtherConnection | undefined
    try {
      expect((await services.dispatch('project.create', { path })).ok).toBe(true)
      // A second process (an import, a training run) that keeps the lock longer than the 2 s the
      // session waits: the write must fail as something the user can act on.
      other = new OtherConnection(path)
      const { released } = await other.holdWriteLock(3000)
      const error = errorOf(await services.dispatch('classes.create', { name: 'cats' }))
      expect(error.code).toBe('BUSY')
      expect(error.message).toMatch(/busy with another task/)
      expect(error.message).not.toMatch(/SQLITE|locked/)
      await released
      expect((await services.dispatch('classes.create', { name: 'cats' })).ok).toBe(true)
    } finally {
      services.close()
      await other?.close()
    }
  })
})
