import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import { createProjectDatabase, openJobDatabase, openProjectDatabase } from '../../../src-main/db/connection'
import { readTransaction, writeTransaction } from '../../../src-main/db/transaction'
import { expectAppError } from '../../helpers/app-error'
import { useTempDir } from '../../helpers/temp-dir'
import { OtherConnection } from './other-connection'

// Two (or three) real connections to one real project file, the way the app, a job worker and a
// second `pictor` process share it.

const tempDir = useTempDir()
const open: Database[] = []
const others: OtherConnection[] = []
afterEach(async () => {
  for (const other of others.splice(0)) await other.close()
  for (const db of open.splice(0)) if (db.open) db.close()
})

/** A project with a scratch table `t` whose rows the tests count. */
function project(): string {
  const path = join(tempDir(), 'p.pictor')
  const db = createProjectDatabase(path)
  db.exec('CREATE TABLE t (n INTEGER NOT NULL)')
  db.close()
  return path
}

function session(path: string): Database {
  const db = openProjectDatabase(path)
  open.push(db)
  return db
}

function job(path: string): Database {
  const db = openJobDatabase(path)
  open.push(db)
  return db
}

function other(path: string): OtherConnection {
  const connection = new OtherConnection(path)
  others.push(connection)
  return connection
}

const count = (db: Database) => db.prepare('SELECT count(*) FROM t').pluck().get() as number
const readThenWrite = (db: Database) => {
  const n = count(db)
  db.prepare('INSERT INTO t (n) VALUES (?)').run(n)
}

describe('writeTransaction', () => {
  it('takes the write lock before reading, where a deferred read-then-write fails once another connection commits', () => {
    const path = project()
    const app = session(path)
    const worker = job(path)
    worker.pragma('busy_timeout = 0')

    // The failure this module exists for: the snapshot read first is stale, SQLite cannot upgrade
    // it, and it fails at once without waiting (SQLITE_BUSY_SNAPSHOT, "database is locked").
    let deferredError: unknown
    try {
      app.transaction(() => {
        count(app)
        worker.prepare('INSERT INTO t (n) VALUES (-1)').run()
        readThenWrite(app)
      })()
    } catch (error) {
      deferredError = error
    }
    expect((deferredError as { code?: string }).code).toBe('SQLITE_BUSY_SNAPSHOT')

    // Under writeTransaction the lock is ours from the first read: the other writer is the one kept out.
    let workerError: unknown
    writeTransaction(app, () => {
      count(app)
      try {
        worker.prepare('INSERT INTO t (n) VALUES (-2)').run()
      } catch (error) {
        workerError = error
      }
      readThenWrite(app)
    })
    expect((workerError as { code?: string }).code).toBe('SQLITE_BUSY')
    expect(app.prepare('SELECT n FROM t ORDER BY rowid').pluck().all()).toEqual([-1, 1])
  })

  it('waits for a writer on another thread and then commits', async () => {
    const path = project()
    const app = session(path)
    const { released } = await other(path).holdWriteLock(300)
    const started = Date.now()
    const result = writeTransaction(app, () => {
      readThenWrite(app)
      return 'written'
    })
    expect(result).toBe('written')
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    await released
    expect(count(app)).toBe(1)
  })

  it('never fails a read-then-write while another thread keeps committing', async () => {
    const path = project()
    const app = session(path)
    const { done } = await other(path).writeFor(1500, 'INSERT INTO t (n) VALUES (-1)')
    let mine = 0
    const until = Date.now() + 1200
    while (Date.now() < until) {
      writeTransaction(app, () => readThenWrite(app))
      mine++
    }
    const theirs = (await done).writes
    expect(mine).toBeGreaterThan(50)
    expect(theirs).toBeGreaterThan(50)
    expect(count(app)).toBe(mine + theirs)
    // Each of our rows saw every row committed before it: no write was based on a stale read.
    const ours = app.prepare('SELECT n FROM t WHERE n >= 0 ORDER BY rowid').pluck().all() as number[]
    const positions = app.prepare('SELECT rowid - 1 FROM t WHERE n >= 0 ORDER BY rowid').pluck().all() as number[]
    expect(ours).toEqual(positions)
  })

  it('gives up with a BUSY AppError once the wait budget is spent, without running the work', async () => {
    const path = project()
    const app = session(path)
    app.pragma('busy_timeout = 200')
    const { released } = await other(path).holdWriteLock(1500)
    let ran = false
    const started = Date.now()
    const error = expectAppError(
      () =>
        writeTransaction(app, () => {
          ran = true
        }),
      'BUSY'
    )
    const waited = Date.now() - started
    expect(ran).toBe(false)
    expect(waited).toBeGreaterThanOrEqual(150)
    expect(waited).toBeLessThan(1200)
    expect(error.message).toMatch(/busy with another task/)
    expect(error.message).not.toMatch(/\n|SQLITE/)
    await released
    expect(writeTransaction(app, () => 'free again')).toBe('free again')
  })

  it('runs a nested call as a savepoint: an inner failure undoes only the inner part', () => {
    const path = project()
    const app = session(path)
    const insert = (n: number) => app.prepare('INSERT INTO t (n) VALUES (?)').run(n)
    const result = writeTransaction(app, () => {
      insert(1)
      expect(writeTransaction(app, () => (insert(2), 'inner'))).toBe('inner')
      try {
        writeTransaction(app, () => {
          insert(3)
          throw new AppError('NOT_FOUND', 'no such thing')
        })
      } catch (error) {
        expect((error as AppError).code).toBe('NOT_FOUND')
      }
      insert(4)
      return 'outer'
    })
    expect(result).toBe('outer')
    expect(app.inTransaction).toBe(false)
    expect(app.prepare('SELECT n FROM t ORDER BY n').pluck().all()).toEqual([1, 2, 4])
  })

  it('rolls back and rethrows any other error unchanged', () => {
    const path = project()
    const app = session(path)
    const failure = new AppError('INVALID_REQUEST', 'bad')
    expect(() =>
      writeTransaction(app, () => {
        readThenWrite(app)
        throw failure
      })
    ).toThrow(failure)
    expect(app.inTransaction).toBe(false)
    expect(count(app)).toBe(0)
  })
})

describe('readTransaction', () => {
  it('reads one snapshot even while another connection commits in between', () => {
    const path = project()
    const app = session(path)
    const worker = job(path)
    const [before, after] = readTransaction(app, () => {
      const first = count(app)
      worker.prepare('INSERT INTO t (n) VALUES (1)').run()
      return [first, count(app)]
    })
    expect(before).toBe(after)
    expect(count(app)).toBe(before + 1)
  })
})
