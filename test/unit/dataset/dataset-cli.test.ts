import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, projectCounts, QUOTED, type DatasetProject } from './dataset-project'

// `pictor dataset export` as a user runs it (the built CLI; `npm test` builds first), and the keras
// export read back by a reader Pictor has nothing to do with: torchvision's ImageFolder.

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'pictor.js')

let dir: string
let project: DatasetProject

beforeAll(async () => {
  dir = makeTempDir('pictor-dataset-cli-')
  project = await createDatasetProject(join(dir, 'project'))
}, 120_000)

afterAll(() => removeTempDir(dir))

const pictor = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'dataset', 'export', '--project', project.projectPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') },
    timeout: 60_000
  })

const withoutZeros = (counts: Record<string, Record<string, number>>) =>
  Object.fromEntries(Object.entries(counts).map(([split, classes]) => [split, Object.fromEntries(Object.entries(classes).filter(([, n]) => n > 0))]))

describe('pictor dataset export', () => {
  it('--json prints the counts per split and class, which are the project’s', () => {
    const run = pictor('--format', 'keras', '--out', join(dir, 'keras'), '--json')
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const result = JSON.parse(run.stdout) as { images: number; counts: Record<string, Record<string, number>>; leftOut: Record<string, number> }
    expect(withoutZeros(result.counts)).toEqual(projectCounts(project.projectPath))
    expect(result.leftOut).toMatchObject({ failed: 1, unlabeled: 1 })
  })

  it('without --json says what it wrote in a few lines', () => {
    const run = pictor('--format', 'csv', '--out', join(dir, 'csv'), '--copy')
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('Exported 17 images (csv; 17 copied) to ')
    expect(run.stdout).toContain(`train: ${QUOTED} 2, red 5, blue 3`)
  })

  it('refuses a folder holding other files with one coded line, and leaves it as it was', () => {
    const out = join(dir, 'taken')
    mkdirSync(out)
    writeFileSync(join(out, 'notes.txt'), 'mine')
    const run = pictor('--format', 'imagefolder', '--out', out)
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^pictor dataset: ALREADY_EXISTS: .*taken is not empty \(notes\.txt\); .*\n$/)
    expect(readdirSync(out)).toEqual(['notes.txt'])
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine')
    expect(readdirSync(dir).filter((name) => name.includes('pictor-dataset'))).toEqual([])
  })

  it('rejects what it does not know as a usage error', () => {
    const run = pictor('--format', 'tfrecord', '--out', join(dir, 'never'))
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('--format must be keras, imagefolder, csv, webdataset, got tfrecord')
  })

  it('torchvision’s ImageFolder reads the keras export: the same images per class and split', (context) => {
    // Debian's python3-torchvision is in /usr/bin/python3, which a pyenv or venv python3 on PATH may hide.
    const probes = ['python3', '/usr/bin/python3'].map((python) => ({ python, run: spawnSync(python, ['-c', 'import torchvision'], { encoding: 'utf8' }) }))
    const python = probes.find((probe) => probe.run.status === 0)?.python
    if (!python) return context.skip(`no python3 here imports torchvision (${(probes[0]!.run.stderr || probes[0]!.run.error?.message || '').trim().split('\n').at(-1)})`)
    const script = [
      'import json, sys',
      'from torchvision.datasets import ImageFolder',
      'root = sys.argv[1]',
      'folders = {c["folder"]: c["name"] for c in json.load(open(root + "/classes.json"))["classes"]}',
      'out = {}',
      'for split in ("train", "val", "test"):',
      '    ds = ImageFolder(root + "/" + split)',
      '    for _, target in ds.samples:',
      '        name = folders[ds.classes[target]]',
      '        out.setdefault(split, {})[name] = out.get(split, {}).get(name, 0) + 1',
      '    ds[0][0].load()',
      'print(json.dumps(out))'
    ].join('\n')
    const read = spawnSync(python, ['-c', script, join(dir, 'keras')], { encoding: 'utf8', timeout: 120_000 })
    expect(read.stderr).toBe('')
    expect(JSON.parse(read.stdout)).toEqual(projectCounts(project.projectPath))
  })
})
