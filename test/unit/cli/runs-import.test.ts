import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportedRun } from '../../../src-main/contract/run-import'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { exportRun } from '../../../src-main/export/export-run'
import { withMetadataProps } from '../../../src-main/onnx/onnx-inspect'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'

// `pictor runs import` as a user runs it: the built CLI on a project with a trained run, importing
// (1) the folder Pictor's own ONNX export wrote, (2) a folder the way a PyTorch train.py leaves it —
// model.onnx without metadata_props and a metadata.json beside it (run id 0, extra fields), and
// (3) a bare .onnx with --labels-file and --preprocessing; then `pictor eval` on the imported run,
// and one-line errors with a code for what a user gets wrong.

const CLI = join(import.meta.dirname, '..', '..', '..', 'out', 'main', 'cli.js')

let dir: string
let trained: TrainedProject
let onnxBytes: Uint8Array
let labels: string[]

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-runs-import-cli-')
  trained = await trainTinyCnn(join(dir, 'project'))
  await withProjectDbAsync(trained.projectPath, (db) =>
    exportRun(db, { dir: join(dir, 'export'), formats: ['onnx'] }, { modelsDir: join(dir, 'no-models'), pictorVersion: 'test' })
  )
  onnxBytes = new Uint8Array(readFileSync(join(dir, 'export', 'onnx', 'model.onnx')))
  labels = withProjectDb(trained.projectPath, (db) => getRun(db, trained.runId)!.classNames)
}, 120_000)

afterAll(() => removeTempDir(dir))

function pictor(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') }, timeout: 60_000 })
  return { status: run.status, stdout: run.stdout, lines: run.stderr.split('\n').filter((line) => line.trim() !== '') }
}

const runsImport = (...args: string[]) => pictor(['runs', 'import', '--project', trained.projectPath, ...args])

describe('pictor runs import', () => {
  it('imports an export folder and prints exactly one JSON object; pictor eval then evaluates the run', { timeout: 90_000 }, () => {
    const result = runsImport(join(dir, 'export'), '--json')
    expect(result.lines).toEqual([])
    expect(result.status).toBe(0)
    const imported = JSON.parse(result.stdout) as ImportedRun
    expect(imported).toMatchObject({ labels, input: { height: 20, width: 20, channels: 3 }, engine: 'onnxruntime', metadataFrom: 'metadata_props', originalKind: 'cnn' })
    expect(imported.source).toBe(join(dir, 'export', 'onnx', 'model.onnx'))
    const evaluated = pictor(['eval', '--project', trained.projectPath, '--run', String(imported.runId), '--split', 'all', '--json'])
    expect(evaluated.status, evaluated.lines.join('\n')).toBe(0)
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ runId: imported.runId, split: 'all', count: 34, labels })
  })

  it('imports a folder with model.onnx and a metadata.json the way an outside training script writes them', () => {
    const folder = join(dir, 'pytorch-output')
    mkdirSync(folder)
    writeFileSync(join(folder, 'model.onnx'), withMetadataProps(onnxBytes, {}))
    const written = JSON.parse(readFileSync(join(dir, 'export', 'onnx', 'metadata.json'), 'utf8')) as Record<string, unknown>
    const { format: _format, createdAt: _createdAt, ...rest } = written
    writeFileSync(join(folder, 'metadata.json'), JSON.stringify({ ...rest, runId: 0, pictorVersion: 'bundle', trainedWith: 'PyTorch', epochs: [] }))
    const result = runsImport(folder, '--json')
    expect(result.lines).toEqual([])
    expect(JSON.parse(result.stdout)).toMatchObject({ labels, metadataFrom: 'metadata.json', originalKind: 'cnn', input: { height: 20, width: 20, channels: 3 } })
  })

  it('imports a bare .onnx with --labels-file and --preprocessing SCALE,OFFSET, and says what it did in words', () => {
    const bare = join(dir, 'bare.onnx')
    writeFileSync(bare, withMetadataProps(onnxBytes, {}))
    writeFileSync(join(dir, 'labels.txt'), `${labels.join('\n')}\n`)
    const result = runsImport(bare, '--labels-file', join(dir, 'labels.txt'), '--preprocessing', '0.00392156862745098,0')
    expect(result.lines).toEqual([])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^Imported .*bare\.onnx as run \d+ \(external, on onnxruntime; metadata from flags\)\./)
    expect(result.stdout).toContain(`Labels (output order): ${labels.join(', ')}`)
  })

  it('refuses in one line with a code and exit 1: no metadata, unknown label, wrong label count, not ONNX, missing file', () => {
    const bare = join(dir, 'bare.onnx')
    writeFileSync(join(dir, 'notes.txt'), 'not a model\n')
    const cases: [string[], string, string][] = [
      [[bare], 'INVALID_REQUEST', 'has no Pictor metadata'],
      [[bare, '--labels', `${labels[0]},purple`, '--preprocessing', 'unit'], 'INVALID_REQUEST', 'no class named "purple"'],
      [[bare, '--labels', labels[0]!, '--preprocessing', 'unit'], 'INVALID_REQUEST', 'at least 2 labels'],
      [[join(dir, 'notes.txt'), '--labels', labels.join(','), '--preprocessing', 'unit'], 'INVALID_REQUEST', 'notes.txt is not an ONNX model'],
      [[join(dir, 'missing.onnx')], 'NOT_FOUND', 'missing.onnx does not exist']
    ]
    const before = withProjectDb(trained.projectPath, (db) => db.prepare('SELECT count(*) FROM training_runs').pluck().get())
    for (const [args, code, mentions] of cases) {
      const result = runsImport(...args)
      expect(result.lines, result.lines.join('\n')).toHaveLength(1)
      expect(result.lines[0]).toMatch(new RegExp(`^pictor runs: ${code}: `))
      expect(result.lines[0]).toContain(mentions)
      expect(result.lines[0]).not.toMatch(/\bat .*:\d+:\d+|INTERNAL/)
      expect(result.status).toBe(1)
      expect(result.stdout).toBe('')
    }
    expect(withProjectDb(trained.projectPath, (db) => db.prepare('SELECT count(*) FROM training_runs').pluck().get())).toBe(before)
  })

  it('answers a usage error for a bad --preprocessing', () => {
    const result = runsImport(join(dir, 'bare.onnx'), '--labels', labels.join(','), '--preprocessing', 'imagenet')
    expect(result.status).toBe(2)
    expect(result.lines.join('\n')).toContain('--preprocessing must be mobilenet (x/127.5-1), unit (x/255) or SCALE,OFFSET')
  })
})
