import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportRun } from '../../../src-main/export/export-run'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'

// Issue 14, finding 4: `pictor predict` given a text file as --model, a folder that does not exist, a
// file where the folder goes, or a --csv it cannot write answers one line that names the culprit, with
// an error code and exit status 1 — no stack trace — with an exported model and a project's run alike.
// The folder and the CSV's folder are checked before any model loads (a MobileNetV2 run takes seconds).

// The built CLI itself (bin/pictor.js would rebuild first when the sources are newer than out/).
const CLI = join(import.meta.dirname, '..', '..', '..', 'out', 'main', 'cli.js')

let dir: string
let trained: TrainedProject
let exported: string
let images: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-predict-errors-')
  trained = await trainTinyCnn(join(dir, 'project'))
  await withProjectDbAsync(trained.projectPath, (db) =>
    exportRun(db, { dir: join(dir, 'export'), formats: ['onnx'] }, { modelsDir: join(dir, 'no-models'), pictorVersion: 'test' })
  )
  exported = join(dir, 'export', 'onnx', 'model.onnx')
  images = join(dir, 'images')
  mkdirSync(images)
  writeFileSync(join(dir, 'notes.txt'), 'not a model, not an image\n')
}, 120_000)

afterAll(() => removeTempDir(dir))

function predict(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, 'predict', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') },
    timeout: 60_000
  })
  return { status: run.status, stdout: run.stdout, lines: run.stderr.split('\n').filter((line) => line.trim() !== '') }
}

/** One line, `pictor predict: CODE: message`, nothing that looks like a stack frame. */
function expectOneLineError(result: ReturnType<typeof predict>, code: string, mentions: string) {
  expect(result.lines, result.lines.join('\n')).toHaveLength(1)
  expect(result.lines[0]).toMatch(new RegExp(`^pictor predict: ${code}: `))
  expect(result.lines[0]).toContain(mentions)
  expect(result.lines[0]).not.toMatch(/\bat .*:\d+:\d+|INTERNAL/)
  expect(result.status).toBe(1)
  expect(result.stdout).toBe('')
}

describe('pictor predict refuses bad paths in one line', () => {
  it('a text file as --model', () => {
    expectOneLineError(predict(['--model', join(dir, 'notes.txt'), images]), 'INVALID_REQUEST', `${join(dir, 'notes.txt')} is not a model Pictor exported`)
  })

  it('a missing folder is reported before the model is even read', () => {
    expectOneLineError(predict(['--model', join(dir, 'notes.txt'), join(dir, 'missing')]), 'NOT_FOUND', `the folder ${join(dir, 'missing')} does not exist`)
  })

  it('a --csv in a folder that does not exist names the file', () => {
    const csv = join(dir, 'no-such-folder', 'out.csv')
    expectOneLineError(predict(['--model', exported, images, '--csv', csv]), 'NOT_FOUND', `cannot write ${csv}`)
  })

  it('a --csv that is a folder', () => {
    expectOneLineError(predict(['--model', exported, images, '--csv', images]), 'INVALID_REQUEST', `--csv ${images} is a folder`)
  })

  for (const using of ['--model', '--project'] as const) {
    const source = () => (using === '--model' ? exported : trained.projectPath)

    it(`a folder that does not exist (${using})`, () => {
      expectOneLineError(predict([using, source(), join(dir, 'missing')]), 'NOT_FOUND', `the folder ${join(dir, 'missing')} does not exist`)
    })

    it(`a file where the folder goes (${using})`, () => {
      expectOneLineError(predict([using, source(), join(dir, 'notes.txt')]), 'NOT_FOUND', `${join(dir, 'notes.txt')} is a file, not a folder`)
    })
  }

  it('a missing project file', () => {
    expectOneLineError(predict(['--project', join(dir, 'nowhere.pictor'), images]), 'NOT_FOUND', 'nowhere.pictor')
  })

  it('a text file as --project', () => {
    expectOneLineError(predict(['--project', join(dir, 'notes.txt'), images]), '[A-Z_]+', 'notes.txt')
  })
})
