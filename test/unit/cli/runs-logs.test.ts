import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { readEventFile, type DecodedEvent } from '../tensorboard/event-reader'

// The TensorBoard trail from the CLI, as a user meets it: `pictor train --json --log-dir` says where
// the run's logs went, and `pictor runs logs` writes them again for existing runs from what the
// project stored (with the confusion matrix once `pictor eval` has run). Files are read back with the
// test's own reader, not the writer's code.

const CLI = join(import.meta.dirname, '..', '..', '..', 'out', 'main', 'cli.js')

let dir: string
let projectPath: string

beforeAll(async () => {
  dir = makeTempDir('pictor-runs-logs-cli-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [10, 10], val: [3, 3], test: [3, 3] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

function pictor(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') }, timeout: 120_000 })
  return { status: run.status, stdout: run.stdout, lines: run.stderr.split('\n').filter((line) => line.trim() !== '') }
}

function events(folder: string): DecodedEvent[] {
  const files = readdirSync(folder).filter((name) => name.startsWith('events.out.tfevents.'))
  expect(files).toHaveLength(1)
  const read = readEventFile(new Uint8Array(readFileSync(join(folder, files[0]!))))
  expect(read.partialTail).toBeNull()
  expect(read.events[0]!.fileVersion).toBe('brain.Event:2')
  return read.events
}

const stepsOf = (list: DecodedEvent[], tag: string) => list.filter((event) => event.values.some((value) => value.tag === tag)).map((event) => event.step)

let trained: { runId: number; logDir: string; history: { epoch: number }[] }

describe('TensorBoard logs from the CLI', () => {
  it('pictor train --json prints the run’s logDir under --log-dir, where the event files are', () => {
    const logRoot = join(dir, 'tb')
    const result = pictor(['train', '--project', projectPath, '--model', 'cnn', '--epochs', '2', '--size', '20', '--batch', '8', '--log-dir', logRoot, '--json'])
    expect(result.lines).toEqual([])
    expect(result.status).toBe(0)
    trained = JSON.parse(result.stdout) as typeof trained
    expect(trained.logDir).toBe(join(logRoot, `run-${trained.runId}`))
    expect(stepsOf(events(join(trained.logDir, 'train')), 'epoch_loss')).toEqual([0, 1])
    expect(stepsOf(events(join(trained.logDir, 'validation')), 'epoch_accuracy')).toEqual([0, 1])
  }, 180_000)

  it('pictor runs logs writes an existing run’s scalars, and its confusion matrix once it is evaluated', () => {
    const before = pictor(['runs', 'logs', '--project', projectPath, '--run', String(trained.runId), '--out', join(dir, 'again'), '--json'])
    expect(before.lines).toEqual([])
    const first = JSON.parse(before.stdout) as { runs: { runId: number; dir: string; epochs: number; images: boolean }[] }
    expect(first.runs).toEqual([{ runId: trained.runId, dir: join(dir, 'again', `run-${trained.runId}`), epochs: 2, images: false }])
    expect(stepsOf(events(join(first.runs[0]!.dir, 'train')), 'epoch_loss')).toEqual([0, 1])

    expect(pictor(['eval', '--project', projectPath, '--run', String(trained.runId), '--json']).status).toBe(0)
    const after = pictor(['runs', 'logs', '--project', projectPath, '--out', join(dir, 'evaluated')])
    expect(after.status).toBe(0)
    expect(after.stdout).toContain(`Run ${trained.runId}: 2 epochs, confusion matrix and worst mistakes`)
    expect(after.stdout).toContain(`tensorboard --logdir ${join(dir, 'evaluated')}`)
    const validation = events(join(dir, 'evaluated', `run-${trained.runId}`, 'validation'))
    expect(stepsOf(validation, 'confusion_matrix')).toEqual([1])
    expect(stepsOf(validation, 'worst_mistakes')).toEqual([1])
  }, 180_000)

  it('says in one line with a code what is wrong: a missing run, an unwritable folder, a missing --out', () => {
    const missing = pictor(['runs', 'logs', '--project', projectPath, '--run', '999', '--out', join(dir, 'x')])
    expect(missing.status).not.toBe(0)
    expect(missing.lines).toEqual(['pictor runs: NOT_FOUND: run 999 does not exist'])
    const blocked = join(dir, 'a-file')
    writeFileSync(blocked, 'not a folder')
    const unwritable = pictor(['runs', 'logs', '--project', projectPath, '--out', blocked])
    expect(unwritable.status).not.toBe(0)
    expect(unwritable.lines).toHaveLength(1)
    expect(unwritable.lines[0]).toMatch(/^pictor runs: [A-Z_]+: the log folder .*a-file/)
    const usage = pictor(['runs', 'logs', '--project', projectPath])
    expect(usage.status).toBe(2)
    expect(usage.lines[0]).toContain('--out DIR')
  }, 60_000)
})
