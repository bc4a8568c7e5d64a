import { createHash } from 'node:crypto'
import { readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import { BaseModelStore } from '../../../src-main/models/base-model-store'
import { mobileNetV2WeightSpecs } from '../../../src-main/models/mobilenet-v2-architecture'
import { loadModelFile } from '../../../src-main/models/tfjs-load'
import { readModelJson, readWeights } from '../../../src-main/models/tfjs-folder'
import { expectOnlyEntries, needSharedModel, SHARED_MODELS_DIR, sharedWeights, writeKerasH5, type KerasH5Options } from '../../helpers/base-models'
import { useTempDir } from '../../helpers/temp-dir'

// The offline path for the official Keras file: a `.h5` in the Keras 2 layout, written here from the
// shared TF.js weights, must import back to exactly those weights.

const temp = useTempDir('pictor-models-')
const FOLDER = 'mobilenet_v2_1.0_224_no_top'

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason
  )
  expect(error, 'expected the promise to reject with an AppError').toBeInstanceOf(AppError)
  return error as AppError
}

async function makeH5(options: KerasH5Options = {}, name = 'weights.h5'): Promise<string> {
  const path = join(temp(), name)
  await writeKerasH5(path, await sharedWeights(), options)
  return path
}

describe('importing a Keras .h5', () => {
  it('reproduces every shared weight bit for bit, and the installed model loads', async (context) => {
    needSharedModel(context)
    const h5 = await makeH5()
    const models = join(temp(), 'models')
    const phases = new Set<string>()
    const result = await new BaseModelStore(models).importH5(h5, { onProgress: (progress) => phases.add(progress.phase) })

    expect(result.path).toBe(join(models, FOLDER, 'model.json'))
    expect(result.source).toEqual({ kind: 'h5', location: h5, sha256: createHash('sha256').update(readFileSync(h5)).digest('hex'), bytes: readFileSync(h5).length })
    expect([...phases]).toEqual(['read', 'verify', 'install'])
    const shared = await sharedWeights()
    const installed = await readWeights(dirname(result.path), await readModelJson(dirname(result.path)))
    for (const spec of mobileNetV2WeightSpecs()) {
      expect(Buffer.compare(installed.get(spec.name)!, shared.get(spec.name)!), spec.name).toBe(0)
    }
    // Same weights, same version: the feature cache does not care where they came from.
    expect(result.version).toBe((await new BaseModelStore(SHARED_MODELS_DIR).verify()).version)
    expect(result.version).toMatch(/^mobilenet_v2_1\.0_224@imagenet:[0-9a-f]{12}$/)

    const model = await loadModelFile(result.path)
    expect(model.outputs[0]!.shape).toEqual([null, 7, 7, 1280])
    model.dispose()
    expectOnlyEntries(models, [FOLDER])
  })

  it('also reads the model.save layout (weights under /model_weights)', async (context) => {
    needSharedModel(context)
    const h5 = await makeH5({ nested: true })
    const result = await new BaseModelStore(join(temp(), 'models')).importH5(h5)
    expect(result.version).toBe((await new BaseModelStore(SHARED_MODELS_DIR).verify()).version)
  })

  it.for<[string, KerasH5Options, RegExp]>([
    ['a missing layer', { omitLayer: 'block_5_project_BN' }, /has no layer block_5_project_BN/],
    ['a wrong shape', { reshape: { name: 'Conv1/kernel', shape: [3, 3, 3, 16] } }, /weight Conv1\/kernel has shape \[3,3,3,16\], expected \[3,3,3,32\]/]
  ])('refuses a .h5 with %s and installs nothing', async ([, options, message], context) => {
    needSharedModel(context)
    const h5 = await makeH5(options)
    const models = join(temp(), 'models')
    const error = await rejection(new BaseModelStore(models).importH5(h5))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toMatch(message)
    expect(error.message).toContain('Nothing was installed')
    expectOnlyEntries(models, [])
  })

  it('refuses a file that is not HDF5 at all', async () => {
    const path = join(temp(), 'weights.h5')
    writeFileSync(path, '<html>Service unavailable</html>')
    const models = join(temp(), 'models')
    const error = await rejection(new BaseModelStore(models).importH5(path))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toMatch(/weights\.h5: it is not an HDF5 \(\.h5\) file/)
    expectOnlyEntries(models, [])
  })

  it('refuses a truncated .h5 as damaged', async (context) => {
    needSharedModel(context)
    const h5 = await makeH5()
    truncateSync(h5, Math.floor(readFileSync(h5).length / 2))
    const models = join(temp(), 'models')
    const error = await rejection(new BaseModelStore(models).importH5(h5))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toMatch(/weights\.h5: it is damaged or incomplete/)
    expectOnlyEntries(models, [])
  })

  it('says NOT_FOUND for a file that does not exist', async () => {
    const error = await rejection(new BaseModelStore(join(temp(), 'models')).importH5(join(temp(), 'nope.h5')))
    expect(error.code).toBe('NOT_FOUND')
  })

  it('keeps an installed model unless forced, and a failed forced import leaves it intact', async (context) => {
    needSharedModel(context)
    const good = await makeH5()
    const models = join(temp(), 'models')
    const store = new BaseModelStore(models)
    const first = await store.importH5(good)

    expect((await rejection(store.importH5(good))).code).toBe('ALREADY_EXISTS')
    const bad = await makeH5({ omitLayer: 'Conv_1' }, 'bad.h5')
    expect((await rejection(store.importH5(bad, { force: true }))).code).toBe('INVALID_REQUEST')
    expect(await store.verify()).toMatchObject({ installed: true, version: first.version })
    expectOnlyEntries(models, [FOLDER])

    const again = await store.importH5(good, { force: true })
    expect(again.version).toBe(first.version)
    expectOnlyEntries(models, [FOLDER])
  })
})
