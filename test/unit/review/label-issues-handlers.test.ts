import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobProgress, LabelChange, LabelIssue, LabelIssueReport } from '../../../src-main/contract/types'
import { writeLabels } from '../../../src-main/db/queries/labels'
import { createServices, type Services } from '../../../src-main/services/services'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// review.findLabelIssues / labelIssues / decideIssue through the real services (the scan in its
// worker), and `pictor issues` as a user runs it, on reddish and bluish PNGs with two labels swapped.
// The pretrained MobileNetV2 when this machine has it, else a randomly initialised one (colour
// still separates these images).

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')

let dir: string
let projectPath: string
let modelsDir: string
let services: Services
/** The two images whose labels the test swapped: id → the class they really are. */
const swapped = new Map<number, number>()

beforeAll(async () => {
  dir = makeTempDir('pictor-issues-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [14, 14] }))).projectPath
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  process.env.PICTOR_MODELS_DIR = modelsDir
  withProjectDb(projectPath, (db) => {
    const red = db.prepare("SELECT id FROM classes WHERE name = 'red'").pluck().get() as number
    const blue = db.prepare("SELECT id FROM classes WHERE name = 'blue'").pluck().get() as number
    const first = (classId: number) => db.prepare('SELECT image_id FROM labels WHERE class_id = ? ORDER BY image_id LIMIT 1').pluck().get(classId) as number
    swapped.set(first(red), red)
    swapped.set(first(blue), blue)
    writeLabels(db, [...swapped].map(([imageId, classId]) => ({ imageId, classId: classId === red ? blue : red })), 'user')
  })
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  expect((await services.call('project.open', { path: projectPath })).ok).toBe(true)
}, 120_000)

afterAll(() => {
  services?.close()
  delete process.env.PICTOR_MODELS_DIR
  removeTempDir(dir)
})

async function call<M extends Parameters<Services['call']>[0]>(method: M, request: Parameters<Services['call']>[1] & object) {
  const envelope = await services.call(method, request as never)
  if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), { code: envelope.error.code })
  return envelope.value
}

/** Starts the scan and waits for its job to end. */
async function scan(folds = 3): Promise<JobProgress> {
  let resolve!: (progress: JobProgress) => void
  const ended = new Promise<JobProgress>((r) => (resolve = r))
  const { jobId } = await call('review.findLabelIssues', { folds })
  const unsubscribe = services.events.subscribe((event) => {
    const progress = event.payload as JobProgress
    if (event.name === 'job.progress' && progress.jobId === jobId && progress.state !== 'running') resolve(progress)
  })
  try {
    return await ended
  } finally {
    unsubscribe()
  }
}

function pictor(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data'), PICTOR_MODELS_DIR: modelsDir },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000)
    child.once('error', reject)
    child.once('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

describe('label issues through the services', () => {
  it('has no report before a scan, and refuses to scan without a base model', async () => {
    expect(await call('review.labelIssues', {})).toBeNull()
    process.env.PICTOR_MODELS_DIR = join(dir, 'no-models')
    const bare = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
    try {
      await bare.call('project.open', { path: projectPath })
      const refused = await bare.call('review.findLabelIssues', { folds: 3 })
      expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
      expect(!refused.ok && refused.error.message).toContain('Train view')
    } finally {
      bare.close()
      process.env.PICTOR_MODELS_DIR = modelsDir
    }
  })

  it('flags the swapped labels with the right suggestion; accept relabels (undoably), reject is remembered', { timeout: 120_000 }, async () => {
    expect(await scan()).toMatchObject({ state: 'done' })
    const report = (await call('review.labelIssues', {}))!
    expect(report).toMatchObject({ folds: 3, examined: 28, stale: false })
    for (const [imageId, realClass] of swapped) {
      expect(report.issues.find((issue) => issue.imageId === imageId)).toMatchObject({ suggestedClassId: realClass, decision: 'pending' })
    }
    const [first, second] = [...swapped.keys()]

    const changes: LabelChange[] = []
    const unsubscribe = services.events.subscribe((event) => {
      if (event.name === 'labels.changed') changes.push(event.payload as LabelChange)
    })
    const accepted = await call('review.decideIssue', { imageId: first!, decision: 'accept' })
    unsubscribe()
    expect(accepted).toMatchObject({ imageId: first, decision: 'accepted', suggestedClassId: swapped.get(first!) })
    expect(changes).toEqual([expect.objectContaining({ imageIds: [first] })])
    const labelOf = (imageId: number) => withProjectDb(projectPath, (db) => db.prepare('SELECT class_id FROM labels WHERE image_id = ?').pluck().get(imageId))
    expect(labelOf(first!)).toBe(swapped.get(first!))
    // The relabel the scan suggested does not make the scan out of date.
    expect((await call('review.labelIssues', {}))!.stale).toBe(false)
    // One undo step, like any relabel; the undone verdict reads as pending again.
    await call('labels.undo', {})
    expect(labelOf(first!)).not.toBe(swapped.get(first!))
    expect((await call('review.labelIssues', {}))!.issues.find((issue) => issue.imageId === first)!.decision).toBe('pending')
    await call('labels.redo', {})

    const rejected = await call('review.decideIssue', { imageId: second!, decision: 'reject' })
    expect(rejected).toMatchObject({ imageId: second, decision: 'rejected' })
    expect(labelOf(second!)).not.toBe(swapped.get(second!))

    // Any other label change makes the ranking stale.
    const someone = withProjectDb(projectPath, (db) => db.prepare('SELECT image_id FROM labels WHERE image_id NOT IN (?, ?) LIMIT 1').pluck().get(first, second) as number)
    const blue = withProjectDb(projectPath, (db) => db.prepare("SELECT id FROM classes WHERE name = 'blue'").pluck().get() as number)
    const red = withProjectDb(projectPath, (db) => db.prepare("SELECT id FROM classes WHERE name = 'red'").pluck().get() as number)
    const current = labelOf(someone)
    await call('labels.assign', { imageIds: [someone], classId: current === red ? blue : red })
    expect((await call('review.labelIssues', {}))!.stale).toBe(true)
    await call('labels.undo', {})

    // A rescan keeps the verdict on the same (image, label); the accepted image is relabeled now, so no longer flagged.
    expect(await scan()).toMatchObject({ state: 'done' })
    const again = (await call('review.labelIssues', {}))!
    expect(again.stale).toBe(false)
    expect(again.issues.find((issue) => issue.imageId === second)).toMatchObject({ decision: 'rejected' })
    expect(again.issues.find((issue) => issue.imageId === first)).toBeUndefined()
    await expect(call('review.decideIssue', { imageId: first!, decision: 'accept' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('`pictor issues` lists the stored scan as JSON and as text, and rescans on request', { timeout: 120_000 }, async () => {
    const stored = (await call('review.labelIssues', {}))!
    const json = await pictor(['issues', '--project', projectPath, '--json'])
    expect(json.status).toBe(0)
    const printed = JSON.parse(json.stdout) as Omit<LabelIssueReport, 'issues'> & { issues: (LabelIssue & { givenClass: string; suggestedClass: string })[] }
    expect(printed.computedAt).toBe(stored.computedAt)
    expect(printed.issues.map((issue) => issue.imageId)).toEqual(stored.issues.map((issue) => issue.imageId))
    expect(printed.issues.every((issue) => ['red', 'blue'].includes(issue.givenClass) && issue.givenClass !== issue.suggestedClass)).toBe(true)

    const text = await pictor(['issues', '--project', projectPath, '--rescan', '--folds', '4'])
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/^\d+ of 28 labeled images look mislabeled \(4 folds/)
    expect(text.stdout).toMatch(/train\/(red|blue)\/img-\d+\.png {2}(red|blue) \(\d+%\) → (red|blue) \(\d+%\) {2}\[rejected\]/)
    expect((await call('review.labelIssues', {}))!.folds).toBe(4)
    expect((await pictor(['issues', '--project', projectPath, '--folds', '1'])).status).toBe(2)
  })
})
