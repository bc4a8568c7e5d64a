import { cpSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import { BaseModelStore, modelsDirectory } from '../../../src-main/models/base-model-store'
import { expectOnlyEntries, needSharedModel, SHARED_MODELS_DIR, SHARED_NO_TOP } from '../../helpers/base-models'
import { useTempDir } from '../../helpers/temp-dir'

const temp = useTempDir('pictor-models-')
const FOLDER = 'mobilenet_v2_1.0_224_no_top'
const SHARDS = ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason
  )
  expect(error, 'expected the promise to reject with an AppError').toBeInstanceOf(AppError)
  return error as AppError
}

/** A writable copy of the shared TF.js folder (model.json + shards only). */
function copyOfShared(): string {
  const copy = join(temp(), 'source')
  for (const file of ['model.json', ...SHARDS]) cpSync(join(SHARED_NO_TOP, file), join(copy, file))
  return copy
}

describe('where base models live', () => {
  it('uses $PICTOR_MODELS_DIR when set, else <data dir>/models', () => {
    expect(modelsDirectory('/data', {})).toBe(join('/data', 'models'))
    expect(modelsDirectory('/data', { PICTOR_MODELS_DIR: '../shared/models/mobilenet_v2' })).toBe(resolve('../shared/models/mobilenet_v2'))
  })
})

describe('listing, locating and verifying', () => {
  it('reports a missing model as not installed and says how to get it', async () => {
    const store = new BaseModelStore(join(temp(), 'never-created'))
    const [status] = await store.list()
    expect(status).toMatchObject({ id: 'mobilenet_v2_1.0_224', installed: false, bytes: 0, version: null })
    expect(status!.problem).toBeUndefined()
    expect(status!.path).toBe(join(temp(), 'never-created', FOLDER, 'model.json'))
    const error = await rejection(store.locate())
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain('`pictor models fetch`')
    expect(error.message).toContain('`pictor models import FILE`')
  })

  it('finds the shared model where $PICTOR_MODELS_DIR points in tests and CI, without writing there', async (context) => {
    needSharedModel(context)
    const store = new BaseModelStore(SHARED_MODELS_DIR)
    const status = await store.verify(undefined, { load: true })
    expect(status).toMatchObject({ installed: true, bytes: 9_031_936, path: join(SHARED_NO_TOP, 'model.json') })
    expect(status.version).toMatch(/^mobilenet_v2_1\.0_224@imagenet:[0-9a-f]{12}$/)
    expect(await store.locate()).toBe(join(SHARED_NO_TOP, 'model.json'))
  })

  it('rejects an unknown model id', async () => {
    expect((await rejection(new BaseModelStore(temp()).locate('resnet50'))).code).toBe('NOT_FOUND')
  })
})

describe('importing a TF.js layers folder', () => {
  it('installs an exact copy of the shared folder and verifies it', async (context) => {
    needSharedModel(context)
    const models = join(temp(), 'models')
    const store = new BaseModelStore(models)
    const result = await store.importTfjsFolder(SHARED_NO_TOP)
    expect(result).toMatchObject({ id: 'mobilenet_v2_1.0_224', bytes: 9_031_936, source: { kind: 'tfjs', location: SHARED_NO_TOP } })
    expect(result.version).toBe((await new BaseModelStore(SHARED_MODELS_DIR).verify()).version)
    for (const file of ['model.json', ...SHARDS]) {
      expect(readFileSync(join(models, FOLDER, file)).equals(readFileSync(join(SHARED_NO_TOP, file))), file).toBe(true)
    }
    expect(await store.locate()).toBe(result.path)
    expect(await store.verify()).toMatchObject({ installed: true, version: result.version, source: { kind: 'tfjs' } })
    expectOnlyEntries(models, [FOLDER])
  })

  it('accepts the path of model.json and picks the folder importer from the path', async (context) => {
    needSharedModel(context)
    const store = new BaseModelStore(join(temp(), 'models'))
    expect((await store.import(join(SHARED_NO_TOP, 'model.json'))).source.kind).toBe('tfjs')
  })

  it.for<[string, (dir: string) => void, RegExp]>([
    ['a truncated shard', (dir: string) => truncateSync(join(dir, SHARDS[2]!), 1000), /hold \d+ bytes but the manifest needs 9031936/],
    ['a missing shard', (dir: string) => rmSync(join(dir, SHARDS[1]!)), /the weight file group1-shard2of3\.bin is missing/],
    [
      'a model.json with a wrong shape',
      (dir: string) => {
        const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
        json.weightsManifest[0].weights[0].shape = [3, 3, 3, 16]
        writeFileSync(join(dir, 'model.json'), JSON.stringify(json))
      },
      /Conv1\/kernel has shape \[3,3,3,16\], expected \[3,3,3,32\]/
    ],
    ['a damaged model.json', (dir: string) => truncateSync(join(dir, 'model.json'), 5000), /model\.json is not valid JSON/],
    [
      'a topology TensorFlow.js cannot load',
      (dir: string) => {
        const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
        json.modelTopology.config.layers[3].class_name = 'NoSuchLayer'
        writeFileSync(join(dir, 'model.json'), JSON.stringify(json))
      },
      /TensorFlow\.js cannot load it/
    ]
  ])('refuses a folder with %s and installs nothing', async ([, damage, message], context) => {
    needSharedModel(context)
    const source = copyOfShared()
    damage(source)
    const models = join(temp(), 'models')
    const error = await rejection(new BaseModelStore(models).importTfjsFolder(source))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toMatch(message)
    expect(error.message).toContain('Nothing was installed')
    expectOnlyEntries(models, [])
  })

  it('reports an installed model that was damaged later, and replaces it without --force', async (context) => {
    needSharedModel(context)
    const models = join(temp(), 'models')
    const store = new BaseModelStore(models)
    await store.importTfjsFolder(SHARED_NO_TOP)
    truncateSync(join(models, FOLDER, SHARDS[0]!), 10)

    const [status] = await store.list()
    expect(status).toMatchObject({ installed: false, version: null })
    expect(status!.problem).toMatch(/damaged or truncated/)
    const error = await rejection(store.locate())
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toMatch(/is damaged .*--force/)

    await store.importTfjsFolder(SHARED_NO_TOP)
    expect((await store.verify()).installed).toBe(true)
    expect(readdirSync(models)).toEqual([FOLDER])
  })

  it('does not overwrite a valid model unless forced', async (context) => {
    needSharedModel(context)
    const store = new BaseModelStore(join(temp(), 'models'))
    await store.importTfjsFolder(SHARED_NO_TOP)
    const error = await rejection(store.importTfjsFolder(SHARED_NO_TOP))
    expect(error.code).toBe('ALREADY_EXISTS')
    expect(error.message).toContain('--force')
    expect((await store.importTfjsFolder(SHARED_NO_TOP, { force: true })).source.kind).toBe('tfjs')
  })

  it('says NOT_FOUND for a folder that does not exist', async () => {
    const error = await rejection(new BaseModelStore(join(temp(), 'models')).import(join(temp(), 'nowhere')))
    expect(error.code).toBe('NOT_FOUND')
  })
})
