import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { defaultDataDir } from '../core/data-dir'
import { AppError, fromSystemError } from '../core/errors'
import { baseModel, BASE_MODELS, howToInstall, versionOf, type BaseModelInfo } from './base-models'
import { downloadFile } from './download'
import { readKerasH5 } from './h5-import'
import type { FetchOptions, InstallOptions, InstallResult, InstallSource, ModelStatus } from './model-types'
import { checkManifest, checkShards, MODEL_JSON, ModelProblem, readModelJson, readWeights, weightsDigest, writeModelFolder } from './tfjs-folder'

export type { FetchOptions, InstallOptions, InstallResult, InstallSource, ModelPhase, ModelProgress, ModelStatus } from './model-types'

const INSTALL_JSON = 'pictor-install.json'

/** `$PICTOR_MODELS_DIR` when set (tests and CI), else `<data dir>/models`. */
export function modelsDirectory(dataDir: string = defaultDataDir(), env: NodeJS.ProcessEnv = process.env): string {
  return env.PICTOR_MODELS_DIR ? resolve(env.PICTOR_MODELS_DIR) : join(dataDir, 'models')
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false
  )
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** AppErrors pass through; a ModelProblem becomes INVALID_REQUEST; system errors get a sentence. */
function asAppError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error
  if (error instanceof ModelProblem) return new AppError('INVALID_REQUEST', `${what}: ${error.message}. Nothing was installed.`, { cause: error })
  return fromSystemError(error, what) ?? new AppError('INTERNAL', `${what}: ${(error as Error).message}`, { cause: error })
}

/**
 * The base models in one folder. Installing is atomic: the model is built in a temporary folder next
 * to its target, checked (manifest, shard sizes, and a real tfl.loadLayersModel), then renamed into
 * place; on any failure the temporary folder is removed and nothing changes.
 */
export class BaseModelStore {
  readonly dir: string

  constructor(dir: string) {
    this.dir = resolve(dir)
  }

  modelJsonPath(id?: string): string {
    return join(this.dir, baseModel(id).folder, MODEL_JSON)
  }

  async list(): Promise<ModelStatus[]> {
    return Promise.all(BASE_MODELS.map((info) => this.verify(info.id)))
  }

  /** Checks an installed model: model.json, every weight's name and shape, shard sizes; `load` also loads it with tfjs. */
  async verify(id?: string, options: { load?: boolean } = {}): Promise<ModelStatus> {
    const info = baseModel(id)
    const folder = join(this.dir, info.folder)
    const status: ModelStatus = { id: info.id, title: info.title, installed: false, path: join(folder, MODEL_JSON), bytes: 0, version: null }
    if (!(await exists(folder))) return status
    try {
      const checked = await this.checkFolder(info, folder, options.load ?? false)
      const source = await readFile(join(folder, INSTALL_JSON), 'utf8').then(
        (text) => (JSON.parse(text) as { source?: InstallSource }).source,
        () => undefined
      )
      return { ...status, installed: true, ...checked, ...(source ? { source } : {}) }
    } catch (error) {
      if (!(error instanceof ModelProblem)) throw asAppError(error, `Cannot check ${folder}`)
      return { ...status, problem: error.message }
    }
  }

  /** model.json of an installed, intact model, or NOT_FOUND saying how to get it. */
  async locate(id?: string): Promise<string> {
    const info = baseModel(id)
    const status = await this.verify(info.id)
    if (status.installed) return status.path
    if (status.problem) {
      throw new AppError(
        'NOT_FOUND',
        `The base model ${info.title} in ${dirname(status.path)} is damaged (${status.problem}). ` +
          'Reinstall it with `pictor models fetch --force` or `pictor models import FILE --force`.'
      )
    }
    throw new AppError('NOT_FOUND', `The base model ${info.title} is not installed in ${this.dir}. ${howToInstall(info)}`)
  }

  /** Imports a `.h5` file or a TF.js layers folder (or its model.json), whichever `path` is. */
  async import(path: string, options: InstallOptions & { id?: string } = {}): Promise<InstallResult> {
    const info = await stat(path).catch((error) => {
      throw asAppError(error, resolve(path))
    })
    if (info.isDirectory() || basename(path) === MODEL_JSON) return this.importTfjsFolder(path, options)
    return this.importH5(path, options)
  }

  async importTfjsFolder(source: string, options: InstallOptions & { id?: string } = {}): Promise<InstallResult> {
    const info = baseModel(options.id)
    const folder = basename(source) === MODEL_JSON ? dirname(resolve(source)) : resolve(source)
    if (!(await exists(folder))) throw new AppError('NOT_FOUND', `${folder} does not exist`)
    return this.install(info, options, `Cannot import ${folder}`, async (temp) => {
      const json = await readModelJson(folder)
      checkManifest(json, info.weightSpecs())
      const total = await checkShards(folder, json)
      let done = 0
      options.onProgress?.({ phase: 'read', done, total })
      for (const path of json.weightsManifest.flatMap((group) => group.paths)) {
        await copyFile(join(folder, path), join(temp, path))
        done += (await stat(join(temp, path))).size
        options.onProgress?.({ phase: 'read', done, total })
      }
      await copyFile(join(folder, MODEL_JSON), join(temp, MODEL_JSON))
      return { kind: 'tfjs', location: folder }
    })
  }

  async importH5(file: string, options: InstallOptions & { id?: string; source?: InstallSource } = {}): Promise<InstallResult> {
    const info = baseModel(options.id)
    const path = resolve(file)
    const fileInfo = await stat(path).catch((error) => {
      throw asAppError(error, path)
    })
    if (!fileInfo.isFile()) throw new AppError('INVALID_REQUEST', `${path} is not a file`)
    return this.install(info, options, `Cannot import ${options.source?.location ?? path}`, async (temp) => {
      const source = options.source ?? { kind: 'h5' as const, location: path, sha256: await sha256File(path), bytes: fileInfo.size }
      const specs = info.weightSpecs()
      const weights = await readKerasH5(path, specs, ({ done, total }) => options.onProgress?.({ phase: 'read', done, total }))
      const { mobileNetV2Topology } = await import('./tfjs-load')
      const { topology, generatedBy } = await mobileNetV2Topology()
      await writeModelFolder(temp, topology, specs, weights, { generatedBy, convertedBy: `Pictor, from the Keras weights file ${basename(path)}` })
      return source
    })
  }

  /**
   * Downloads the official Keras `.h5` (or `options.url`), checks its size, then imports it. A failed
   * download says how to install the file offline: `howToImport` is that step in the caller's words
   * (the CLI's command by default; the app points at its own Import field).
   */
  async fetch(id?: string, options: FetchOptions & { howToImport?: string } = {}): Promise<InstallResult> {
    const info = baseModel(id)
    const url = options.url ?? info.download.url
    const official = url === info.download.url
    await this.refuseOverwrite(info, options.force)
    await mkdir(this.dir, { recursive: true }).catch((error) => {
      throw asAppError(error, `Cannot create ${this.dir}`)
    })
    const temp = await mkdtemp(join(this.dir, '.download-')).catch((error) => {
      throw asAppError(error, `Cannot write to ${this.dir}`)
    })
    try {
      const file = join(temp, info.download.fileName)
      const expectedBytes = options.expectedBytes ?? (official ? info.download.bytes : undefined)
      const sha256 = options.sha256 ?? (official ? info.download.sha256 : null)
      const downloaded = await downloadFile(url, file, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(expectedBytes !== undefined ? { expectedBytes } : {}),
        sha256,
        hint: `Nothing was installed. Offline, download ${info.download.url} on another computer, then ${options.howToImport ?? 'run `pictor models import FILE`'}`,
        onProgress: (done, total) => options.onProgress?.({ phase: 'download', done, total })
      })
      const source: InstallSource = { kind: 'download', location: url, sha256: downloaded.sha256, bytes: downloaded.bytes }
      return await this.importH5(file, { ...options, id: info.id, source })
    } finally {
      await rm(temp, { recursive: true, force: true })
    }
  }

  private async checkFolder(info: BaseModelInfo, folder: string, load: boolean): Promise<{ bytes: number; version: string }> {
    const json = await readModelJson(folder)
    const specs = info.weightSpecs()
    checkManifest(json, specs)
    const bytes = await checkShards(folder, json)
    const version = versionOf(info, weightsDigest(specs, await readWeights(folder, json)))
    if (load) {
      const { checkModelLoads } = await import('./tfjs-load')
      await checkModelLoads(join(folder, MODEL_JSON), { input: info.inputShape, output: info.outputShape })
    }
    return { bytes, version }
  }

  private async refuseOverwrite(info: BaseModelInfo, force: boolean | undefined): Promise<void> {
    if (force) return
    const status = await this.verify(info.id)
    if (status.installed) {
      throw new AppError('ALREADY_EXISTS', `${info.title} is already installed in ${dirname(status.path)}; use --force to replace it`)
    }
  }

  private async install(
    info: BaseModelInfo,
    options: InstallOptions,
    what: string,
    fill: (temp: string) => Promise<InstallSource>
  ): Promise<InstallResult> {
    await this.refuseOverwrite(info, options.force)
    const target = join(this.dir, info.folder)
    let temp: string | undefined
    try {
      await mkdir(this.dir, { recursive: true })
      temp = await mkdtemp(join(this.dir, `.${info.folder}.installing-`))
      const source = await fill(temp)
      if (options.signal?.aborted) throw new AppError('CANCELLED', 'the installation was cancelled')
      options.onProgress?.({ phase: 'verify', done: 0, total: 1 })
      const { bytes, version } = await this.checkFolder(info, temp, true)
      options.onProgress?.({ phase: 'verify', done: 1, total: 1 })
      await writeFile(join(temp, INSTALL_JSON), JSON.stringify({ id: info.id, version, source, installedAt: new Date().toISOString() }, null, 2))
      await chmod(temp, 0o755) // mkdtemp makes it private; an installed model is an ordinary folder
      if (options.signal?.aborted) throw new AppError('CANCELLED', 'the installation was cancelled')
      await this.refuseOverwrite(info, options.force)
      options.onProgress?.({ phase: 'install', done: 0, total: 1 })
      await swapIntoPlace(temp, target, join(this.dir, `.${info.folder}.old-${randomBytes(4).toString('hex')}`))
      options.onProgress?.({ phase: 'install', done: 1, total: 1 })
      return { id: info.id, path: join(target, MODEL_JSON), version, bytes, source }
    } catch (error) {
      throw asAppError(error, what)
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true })
    }
  }
}

/** Renames `temp` to `target`, moving a previous `target` aside first and back if the rename fails. */
async function swapIntoPlace(temp: string, target: string, aside: string): Promise<void> {
  const hadTarget = await exists(target)
  if (hadTarget) await rename(target, aside)
  try {
    await rename(temp, target)
  } catch (error) {
    if (hadTarget) await rename(aside, target).catch(() => undefined)
    throw error
  }
  if (hadTarget) await rm(aside, { recursive: true, force: true })
}
