import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Envelope } from '../../src-main/contract/envelope'
import { createDispatcher, type Handlers } from '../../src-main/core/dispatcher'
import { AppError } from '../../src-main/core/errors'
import { createServices } from '../../src-main/services/services'
import { useTempDir } from '../helpers/temp-dir'
import { OtherConnection } from './db/other-connection'

// The dispatcher is the trust boundary: raw (method, request) in, an envelope out, never a throw.

function errorOf(envelope: Envelope<unknown>): { code: string; message: string } {
  if (envelope.ok) throw new Error(`expected a failed envelope, got ${JSON.stringify(envelope)}`)
  return envelope.error
}

const noChange = {
  changeId: 'c',
  description: '',
  imageIds: [],
  history: { undo: null, redo: null },
  counts: { perClass: [], labeled: 0, suggestions: [], labelsPerMinute: 0 },
  classes: null
}
const balance = { ratios: { train: 0.8, val: 0.1, test: 0.1 }, classes: [], unlabeled: 0, imbalanceRatio: null, warnings: [] }

/** A complete handler table whose project.* handlers echo what they were given. */
function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const summary = (path: string, name = 'p') => ({ path, name, schemaVersion: 1, createdAt: 0, readOnly: false })
  return {
    'app.info': () => {
      throw new Error('not used')
    },
    'project.create': ({ path, name }) => summary(path, name),
    'project.open': ({ path }) => summary(path),
    'project.close': () => null,
    'project.current': () => null,
    'project.recent': () => [],
    'project.forgetRecent': () => [],
    'dialog.pickProjectToOpen': () => null,
    'dialog.pickProjectToCreate': () => null,
    'dialog.pickFolder': () => null,
    'backups.list': () => [],
    'backups.restore': () => {
      throw new Error('not used')
    },
    'library.summary': () => ({ total: 0, labeled: 0, unlabeled: 0, failed: 0, classes: [], labelsPerMinute: 0 }),
    'images.query': () => ({ ids: [] }),
    'images.get': () => [],
    'labels.assign': () => noChange,
    'labels.undo': () => null,
    'labels.redo': () => null,
    'labels.history': () => ({ undo: null, redo: null }),
    'classes.list': () => [],
    'classes.create': ({ name }) => ({ id: 1, name, color: '#000000', hotkey: null, position: 0, count: 0 }),
    'classes.update': ({ id }) => ({ id, name: 'x', color: '#000000', hotkey: null, position: 0, count: 0 }),
    'classes.merge': () => noChange,
    'classes.delete': () => noChange,
    'balance.report': () => balance,
    'splits.assign': () => balance,
    'splits.setRatios': () => balance,
    'images.setSplit': () => balance,
    'train.start': () => ({ runId: 1, jobId: 'j' }),
    'train.resume': ({ runId }) => ({ runId, jobId: 'j' }),
    'train.augmentPreview': () => null,
    'runs.list': () => [],
    'runs.delete': () => null,
    'models.list': () => [],
    'models.import': () => [],
    'models.fetch': () => ({ jobId: 'j' }),
    'images.page': () => ({ total: 0, items: [] }),
    'import.start': () => ({ jobId: 'j' }),
    'import.lastRun': () => null,
    'jobs.list': () => [],
    'jobs.cancel': () => null,
    'review.evaluate': () => ({ runId: 1, jobId: 'j' }),
    'review.evaluation': () => null,
    'review.cell': () => [],
    'review.topLoss': () => [],
    'review.findLabelIssues': () => ({ jobId: 'j' }),
    'review.labelIssues': () => null,
    'review.decideIssue': () => {
      throw new Error('not used')
    },
    'review.checkRobustness': () => ({ runId: 1, jobId: 'j' }),
    'review.robustness': () => null,
    'suggestions.compute': () => ({ runId: 1, jobId: 'j' }),
    'suggestions.summary': () => null,
    'suggestions.accept': () => noChange,
    'export.run': () => ({ runId: 1, dir: '/', files: [], kept: [] }),
    ...overrides
  }
}

describe('createDispatcher', () => {
  it('answers UNKNOWN_METHOD for a name outside the contract, including inherited object keys', async () => {
    const dispatch = createDispatcher(handlers())
    for (const method of ['project.delete', '', 'toString', '__proto__', 'constructor']) {
      const error = errorOf(await dispatch(method, {}))
      expect(error.code, method).toBe('UNKNOWN_METHOD')
    }
    expect(errorOf(await dispatch('nope.nothing', {})).message).toContain('nope.nothing')
  })

  it('passes the parsed (trimmed) request to the handler and wraps its answer in ok', async () => {
    const dispatch = createDispatcher(handlers())
    const envelope = await dispatch('project.create', { path: '  /tmp/a.pictor  ', name: ' Cats ' })
    expect(envelope).toEqual({ ok: true, value: { path: '/tmp/a.pictor', name: 'Cats', schemaVersion: 1, createdAt: 0, readOnly: false } })
  })

  it('refuses a wrong type with INVALID_REQUEST naming the field', async () => {
    const dispatch = createDispatcher(handlers())
    const error = errorOf(await dispatch('project.open', { path: 42 }))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toMatch(/^project\.open: path: /)
    expect(error.message).toContain('expected string')

    const nameError = errorOf(await dispatch('project.create', { path: '/tmp/x', name: 7 }))
    expect(nameError.code).toBe('INVALID_REQUEST')
    expect(nameError.message).toContain('name:')
  })

  it('refuses a missing required field, and a blank one', async () => {
    const dispatch = createDispatcher(handlers())
    const missing = errorOf(await dispatch('project.open', {}))
    expect(missing.code).toBe('INVALID_REQUEST')
    expect(missing.message).toContain('path:')

    const blank = errorOf(await dispatch('project.open', { path: '   ' }))
    expect(blank.code).toBe('INVALID_REQUEST')
    expect(blank.message).toContain('path: a project path is required')
  })

  it('refuses extra keys (the schemas are strict), naming the key', async () => {
    const dispatch = createDispatcher(handlers())
    const extra = errorOf(await dispatch('project.open', { path: '/tmp/a.pictor', admin: true }))
    expect(extra.code).toBe('INVALID_REQUEST')
    expect(extra.message).toContain('admin')

    const onEmpty = errorOf(await dispatch('project.current', { sneaky: 1 }))
    expect(onEmpty.code).toBe('INVALID_REQUEST')
    expect(onEmpty.message).toContain('sneaky')
  })

  it('refuses a NUL character in a path', async () => {
    const dispatch = createDispatcher(handlers())
    const error = errorOf(await dispatch('project.open', { path: '/tmp/a\0.pictor' }))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toContain('path: the path contains a NUL character')
  })

  it('refuses a path over 4096 characters', async () => {
    const dispatch = createDispatcher(handlers())
    const error = errorOf(await dispatch('project.open', { path: `/${'a'.repeat(5000)}` }))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toContain('path: the path is too long')
  })

  it('turns an AppError thrown by a handler into its own code and message', async () => {
    const logged: unknown[] = []
    const dispatch = createDispatcher(
      handlers({
        'project.open': () => {
          throw new AppError('NOT_FOUND', 'no such project here')
        }
      }),
      { logError: (_method, error) => logged.push(error) }
    )
    expect(await dispatch('project.open', { path: '/tmp/x.pictor' })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no such project here' }
    })
    expect(logged).toEqual([]) // expected errors are not bugs
  })

  it('turns an AppError from an async handler into its code too', async () => {
    const dispatch = createDispatcher(
      handlers({
        'project.recent': async () => {
          await new Promise((resolve) => setTimeout(resolve, 1))
          throw new AppError('IO_ERROR', 'disk on fire')
        }
      })
    )
    expect(errorOf(await dispatch('project.recent', {}))).toEqual({ code: 'IO_ERROR', message: 'disk on fire' })
  })

  it('turns a plain Error into INTERNAL and reports it to logError', async () => {
    const logged: [string, unknown][] = []
    const bug = new TypeError('x is undefined')
    const dispatch = createDispatcher(
      handlers({
        'project.current': () => {
          throw bug
        }
      }),
      { logError: (method, error) => logged.push([method, error]) }
    )
    const error = errorOf(await dispatch('project.current', {}))
    expect(error.code).toBe('INTERNAL')
    expect(error.message).toContain('project.current')
    expect(error.message).toContain('x is undefined')
    expect(logged).toEqual([['project.current', bug]])
  })

  it('turns a thrown non-Error value into INTERNAL', async () => {
    const dispatch = createDispatcher(
      handlers({
        'project.close': () => {
          throw 'a string'
        }
      }),
      { logError: () => {} }
    )
    const error = errorOf(await dispatch('project.close', {}))
    expect(error.code).toBe('INTERNAL')
    expect(error.message).toContain('a string')
  })

  it('never throws, whatever the transport hands it', async () => {
    const dispatch = createDispatcher(handlers(), { logError: () => {} })
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
      const envelope = await dispatch(method as string, request)
      expect(envelope.ok, `${String(method)}`).toBe(false)
      expect(['UNKNOWN_METHOD', 'INVALID_REQUEST']).toContain(errorOf(envelope).code)
    }
    expect(errorOf(await dispatch(42 as unknown as string, {})).code).toBe('UNKNOWN_METHOD')
    expect(errorOf(await dispatch('project.open', null)).code).toBe('INVALID_REQUEST')
  })

  it('treats a null or absent request as {} for methods without parameters', async () => {
    const dispatch = createDispatcher(handlers())
    expect(await dispatch('project.current', null)).toEqual({ ok: true, value: null })
    expect(await dispatch('project.current', undefined)).toEqual({ ok: true, value: null })
  })
})

describe('createServices().dispatch', () => {
  const tempDir = useTempDir()

  it('answers UNSUPPORTED for native dialogs when no DialogProvider is given', async () => {
    const services = createServices({ dataDir: tempDir(), transport: 'browser' })
    try {
      expect(services.info.nativeDialogs).toBe(false)
      for (const method of ['dialog.pickProjectToOpen', 'dialog.pickProjectToCreate']) {
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
        pickFolder: async () => '/picked/folder'
      }
    })
    try {
      expect(services.info.nativeDialogs).toBe(true)
      expect(await services.dispatch('dialog.pickProjectToOpen', {})).toEqual({ ok: true, value: '/picked/open.pictor' })
      expect(await services.dispatch('dialog.pickProjectToCreate', {})).toEqual({ ok: true, value: null })
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
