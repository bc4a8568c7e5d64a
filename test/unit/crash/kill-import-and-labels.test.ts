import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ImportReport } from '../../../src-main/contract/types'
import { createProjectDatabase } from '../../../src-main/db/connection'
import { insertProject } from '../../../src-main/db/queries/project'
import { writeManyJpegs } from '../../helpers/image-fixtures'
import { useTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'
import { integrityOf, kill9, killLeftovers, readProject, requireBuiltCli, runCli, startCli, startUi, whenProject } from './processes'

// Issue 13: `kill -9` of a real `pictor` process while it imports and while it answers label writes
// (browser mode), at several moments each. Afterwards the project file passes integrity_check,
// every label write that was acknowledged (answered ok) is there, and the work goes on: a re-run of
// the import finishes it, a restarted server takes labels again.

const temp = useTempDir('pictor-crash-')
afterEach(killLeftovers)

const envFor = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, PICTOR_DATA_DIR: join(dir, 'data') })
const count = (projectPath: string, sql: string) => readProject(projectPath, (db) => db.prepare(sql).pluck().get() as number) ?? 0

describe('kill -9 during an import', () => {
  it('at three moments (scanning, after the first batch, past half) leaves a sound file, and a re-run finishes the import', { timeout: 180_000 }, async () => {
    requireBuiltCli()
    const dir = temp()
    const env = envFor(dir)
    const folder = join(dir, 'photos')
    const total = 800
    await writeManyJpegs(join(folder, 'red'), total / 2, 24, 24)
    await writeManyJpegs(join(folder, 'blue'), total / 2, 24, 24)
    const projectPath = join(dir, 'crash.pictor')
    createProjectDatabase(projectPath, (db) => insertProject(db, { name: 'Crash', createdAt: Date.now() })).close()
    const images = () => count(projectPath, "SELECT count(*) FROM images WHERE status = 'ok'")

    const moments: [string, (committed: number) => boolean][] = [
      ['while scanning (its run row is written, no image yet)', () => true],
      ['after its first committed batch', (committed) => committed > 0],
      ['past half of the files', (committed) => committed >= total / 2]
    ]
    const seen: string[] = []
    for (const [moment, ready] of moments) {
      const before = images()
      const running = startCli(['import', folder, '--project', projectPath, '--json'], env)
      // Each attempt writes a new import_runs row first; the moment is judged on this attempt's row.
      const runsBefore = count(projectPath, 'SELECT count(*) FROM import_runs')
      await whenProject(projectPath, running, moment, (db) => {
        const runs = db.prepare('SELECT count(*) FROM import_runs').pluck().get() as number
        const committed = (db.prepare("SELECT count(*) FROM images WHERE status = 'ok'").pluck().get() as number) - before
        return runs > runsBefore && ready(committed) ? true : undefined
      })
      await kill9(running)
      const after = integrityOf(projectPath)
      seen.push(`${moment}: ${images()} of ${total} committed`)
      expect(after, moment).toEqual({ integrity: 'ok', foreignKeys: [] })
    }
    console.log(`import kills: ${seen.join('; ')}`)

    const rerun = await runCli(['import', folder, '--project', projectPath, '--json'], env)
    expect(rerun.code, rerun.stderr).toBe(0)
    const report = JSON.parse(rerun.stdout) as ImportReport
    expect(report.failed).toBe(0)
    expect(report.imported + report.unchanged + report.updated).toBe(total)
    expect(report.unchanged).toBeGreaterThanOrEqual(total / 2)
    expect(images()).toBe(total)
    expect(count(projectPath, 'SELECT count(*) FROM images')).toBe(total)
    expect(count(projectPath, 'SELECT count(*) FROM labels')).toBe(total)
    expect(integrityOf(projectPath)).toEqual({ integrity: 'ok', foreignKeys: [] })
  })
})

describe('kill -9 of browser mode while it takes label writes', () => {
  it('at two moments loses no acknowledged label, and a restarted server takes labels again', { timeout: 180_000 }, async () => {
    requireBuiltCli()
    const dir = temp()
    const env = envFor(dir)
    mkdirSync(join(dir, 'data'))
    const { projectPath } = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [30, 30] }))
    const imageIds = readProject(projectPath, (db) => db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[])!
    const classIds = readProject(projectPath, (db) => db.prepare('SELECT id FROM classes ORDER BY id').pluck().all() as number[])!
    expect(imageIds).toHaveLength(60)

    /** Per image: the last acknowledged class (null: unlabeled), and a write still unanswered when the server died. */
    const acknowledged = new Map<number, number | null>()
    const inFlight = new Map<number, number | null>()
    const CLIENTS = 3
    const rounds: string[] = []
    for (const killAfter of [40, 150]) {
      const ui = await startUi(projectPath, env)
      let acks = 0
      let stop = false
      // Each client owns its own images, so at most one write per image is ever unanswered.
      const client = async (lane: number) => {
        const mine = imageIds.filter((_, index) => index % CLIENTS === lane)
        for (let step = 0; !stop; step++) {
          const imageId = mine[(step * 7 + lane) % mine.length]!
          const classId = [...classIds, null][(step + lane) % (classIds.length + 1)]!
          inFlight.set(imageId, classId)
          try {
            const envelope = await ui.call('labels.assign', { imageIds: [imageId], classId })
            if (envelope.ok) {
              acknowledged.set(imageId, classId)
              acks++
            }
            inFlight.delete(imageId)
          } catch {
            return // the server is gone; this write stays "in flight"
          }
        }
      }
      const clients = Array.from({ length: CLIENTS }, (_, lane) => client(lane))
      const deadline = Date.now() + 60_000
      while (acks < killAfter) {
        if (Date.now() > deadline) throw new Error(`only ${acks} label writes acknowledged in 60 s: ${ui.running.stderr()}`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      await kill9(ui.running)
      stop = true
      await Promise.all(clients)
      rounds.push(`killed after ${acks} acknowledged writes (${inFlight.size} unanswered)`)

      expect(integrityOf(projectPath)).toEqual({ integrity: 'ok', foreignKeys: [] })
      const stored = new Map(
        readProject(projectPath, (db) => db.prepare('SELECT image_id AS id, class_id AS classId FROM labels').all() as { id: number; classId: number }[])!.map(
          (row) => [row.id, row.classId]
        )
      )
      const lost: string[] = []
      for (const [imageId, classId] of acknowledged) {
        const now = stored.get(imageId) ?? null
        // A write the server died answering may or may not have committed: either value is right.
        if (now !== classId && !(inFlight.has(imageId) && inFlight.get(imageId) === now)) lost.push(`image ${imageId}: ${now} instead of ${classId}`)
      }
      expect(lost, 'acknowledged labels that are not in the file').toEqual([])
      // What is in the file now is what the next round's clients build on.
      for (const imageId of inFlight.keys()) acknowledged.set(imageId, stored.get(imageId) ?? null)
      inFlight.clear()
    }
    console.log(`label kills: ${rounds.join('; ')}`)

    const ui = await startUi(projectPath, env)
    expect(await ui.call('labels.assign', { imageIds: [imageIds[0]!], classId: classIds[0]! })).toMatchObject({ ok: true })
    await kill9(ui.running)
  })
})
