import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { getRun, getRunLease, setRunLease } from '../../../../src-main/db/queries/training-runs'
import { claimRun, LEASE_MS, markInterruptedRuns } from '../../../../src-main/services/run-leases'
import { writeTransaction } from '../../../../src-main/db/transaction'
import { expectAppError } from '../../../helpers/app-error'
import { setUpImport, withProjectDb } from '../../../helpers/import-project'
import { useTempDir } from '../../../helpers/temp-dir'
import { queueRun, trainSettings } from '../../../helpers/training-project'

// When a run counts as left behind: its lease's process is gone (same host), its heartbeat is older
// than the lease (any host), or it has no lease at all. A live lease of another process is never
// taken, and its run never marked.

const temp = useTempDir('pictor-run-leases-')

/** The id of a process that existed a moment ago and has exited: as dead as a SIGKILLed one. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(child.stdout)
}

function project(): string {
  return setUpImport(temp()).projectPath
}

function runningRun(path: string, lease: { host: string; pid: number } | null, heartbeatAt: number): number {
  const runId = queueRun(path, trainSettings())
  withProjectDb(path, (db) => {
    db.prepare("UPDATE training_runs SET status = 'running' WHERE id = ?").run(runId)
    if (lease) setRunLease(db, runId, { owner: `owner-${runId}`, ...lease }, heartbeatAt)
  })
  return runId
}

describe('run leases', () => {
  it('marks runs whose process is gone, whose heartbeat aged out or that nobody holds; leaves live ones', () => {
    const path = project()
    const now = Date.now()
    const killed = runningRun(path, { host: hostname(), pid: deadPid() }, now)
    const silent = runningRun(path, { host: 'another-machine', pid: 4242 }, now - LEASE_MS - 1)
    const unheld = runningRun(path, null, now)
    const elsewhere = runningRun(path, { host: 'another-machine', pid: 4242 }, now - 1000)
    const here = runningRun(path, { host: hostname(), pid: process.pid }, now - 1000)

    const marked = withProjectDb(path, (db) => markInterruptedRuns(db, now))
    expect(marked.sort()).toEqual([killed, silent, unheld].sort())
    withProjectDb(path, (db) => {
      for (const runId of [killed, silent, unheld]) {
        expect(getRun(db, runId)).toMatchObject({ status: 'interrupted', resumable: true, error: expect.stringContaining('process training it stopped') })
        expect(getRunLease(db, runId)!.lease).toBeNull()
      }
      for (const runId of [elsewhere, here]) expect(getRun(db, runId)).toMatchObject({ status: 'running', resumable: false })
      // Nothing left behind: a second look writes nothing.
      expect(markInterruptedRuns(db, now)).toEqual([])
    })
  })

  it("never takes a run whose lease is live, and takes one whose holder is gone", () => {
    const path = project()
    const now = Date.now()
    const live = runningRun(path, { host: 'another-machine', pid: 4242 }, now)
    const gone = runningRun(path, { host: hostname(), pid: deadPid() }, now)
    const mine = { owner: 'me', host: hostname(), pid: process.pid }
    withProjectDb(path, (db) => {
      const refused = expectAppError(() => writeTransaction(db, () => claimRun(db, live, mine, now)), 'BUSY')
      expect(refused.message).toBe(`run ${live} is being trained by another Pictor (process 4242 on another-machine); wait for it or cancel it there`)
      expect(getRunLease(db, live)!.lease).toMatchObject({ owner: `owner-${live}` })
      writeTransaction(db, () => claimRun(db, gone, mine, now))
      expect(getRunLease(db, gone)!.lease).toEqual({ ...mine, heartbeatAt: now })
    })
  })
})
