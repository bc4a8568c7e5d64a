import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { PICTOR_BIN } from '../../helpers/pictor-process'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, type DatasetProject } from '../dataset/dataset-project'

// `pictor bundle` as a user runs it: the built CLI (`npm test` builds first).

let dir: string
let project: DatasetProject
let modelsDir: string

beforeAll(async () => {
  dir = makeTempDir('pictor-bundle-cli-')
  project = await createDatasetProject(join(dir, 'project'))
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
}, 180_000)

afterAll(() => removeTempDir(dir))

const pictor = (args: string[], models = modelsDir) =>
  spawnSync(process.execPath, [PICTOR_BIN, 'bundle', '--project', project.projectPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data'), PICTOR_MODELS_DIR: models },
    timeout: 120_000
  })

describe('pictor bundle (CLI)', () => {
  it('--json prints what it wrote, with the commands to run next', () => {
    const out = join(dir, 'bundle')
    const run = pictor(['--out', out, '--json'])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const result = JSON.parse(run.stdout) as { dir: string; format: string; images: number; commands: Record<string, string> }
    expect(result).toMatchObject({ dir: out, format: 'imagefolder', images: 17 })
    expect(result.commands.bringBack).toBe(`pictor runs import --project ${JSON.stringify(project.projectPath)} output/`)
    expect(existsSync(join(out, 'train.py'))).toBe(true)
  })

  it('without --json says where the bundle is and what to run there', () => {
    const run = pictor(['--out', join(dir, 'plain'), '--copy'])
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('17 images in 3 classes (imagefolder)')
    expect(run.stdout).toContain('python3 train.py --max-images 48 --epochs 1')
    expect(run.stdout).toContain('torchrun --standalone --nproc_per_node=N train.py')
  })

  it('without the base model: one coded line saying how to install it, and nothing written', () => {
    const empty = join(dir, 'no-models')
    mkdirSync(empty)
    const run = pictor(['--out', join(dir, 'never')], empty)
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^pictor bundle: NOT_FOUND: a bundle carries the MobileNetV2 base model, .*pictor models fetch.*\n$/)
    expect(existsSync(join(dir, 'never'))).toBe(false)
    expect(readdirSync(dir).filter((name) => name.includes('pictor-bundle'))).toEqual([])
  })

  it('rejects what it does not know as a usage error', () => {
    const run = pictor(['--out', join(dir, 'never'), '--format', 'tfrecord'])
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('--format must be auto, imagefolder, webdataset, got tfrecord')
  })
})
