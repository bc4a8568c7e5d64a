import { getContext, setContext } from 'svelte'
import type { AppInfo, LibrarySummary, ProjectSummary, RecentProject } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { ImportState } from './import-state.svelte'
import type { ViewId } from './views'

const KEY = Symbol('pictor.app-state')

/** Everything the shell shows about the app and the open project. Components read; methods act. */
export class AppState {
  #info = $state.raw<AppInfo | null>(null)
  #project = $state.raw<ProjectSummary | null>(null)
  #recent = $state.raw<RecentProject[]>([])
  #library = $state.raw<LibrarySummary | null>(null)
  #connected = $state(true)
  #error = $state<string | null>(null)
  #busy = $state(false)
  view = $state<ViewId>('library')
  readonly imports: ImportState

  constructor(readonly api: Client) {
    this.imports = new ImportState(api)
  }

  get info() {
    return this.#info
  }
  get project() {
    return this.#project
  }
  get recent() {
    return this.#recent
  }
  get library() {
    return this.#library
  }
  get connected() {
    return this.#connected
  }
  get error() {
    return this.#error
  }
  get busy() {
    return this.#busy
  }

  async start(): Promise<void> {
    this.api.on('project.changed', (project) => void this.#adopt(project))
    this.api.on('library.changed', () => void this.refreshLibrary())
    this.api.transport.onConnectionChange((connected) => {
      this.#connected = connected
      // After a server restart, re-read everything rather than trust what the page remembers.
      if (connected) void this.#load()
    })
    await this.#load()
  }

  async createProject(path: string, name?: string): Promise<boolean> {
    return this.#attempt(async () => {
      await this.#adopt(await this.api.call('project.create', { path, ...(name ? { name } : {}) }))
    })
  }

  async openProject(path: string): Promise<boolean> {
    return this.#attempt(async () => this.#adopt(await this.api.call('project.open', { path })))
  }

  async closeProject(): Promise<void> {
    await this.#attempt(async () => {
      await this.api.call('project.close', {})
      await this.#adopt(null)
    })
  }

  async forgetRecent(path: string): Promise<void> {
    await this.#attempt(async () => {
      this.#recent = await this.api.call('project.forgetRecent', { path })
    })
  }

  /** Electron only: native dialogs. Resolves to false when the user cancels. */
  async pickAndOpen(): Promise<boolean> {
    const path = await this.api.call('dialog.pickProjectToOpen', {}).catch(() => null)
    return path ? this.openProject(path) : false
  }

  async pickAndCreate(): Promise<boolean> {
    const path = await this.api.call('dialog.pickProjectToCreate', {}).catch(() => null)
    return path ? this.createProject(path) : false
  }

  async refreshLibrary(): Promise<void> {
    this.#library = this.#project ? await this.api.call('library.summary', {}).catch(() => null) : null
  }

  dismissError(): void {
    this.#error = null
  }

  async #load(): Promise<void> {
    await this.#attempt(async () => {
      this.#info = await this.api.call('app.info', {})
      await this.#adopt(await this.api.call('project.current', {}))
    })
  }

  async #adopt(project: ProjectSummary | null): Promise<void> {
    const changed = project?.path !== this.#project?.path
    this.#project = project
    this.#recent = await this.api.call('project.recent', {}).catch(() => this.#recent)
    if (changed) this.imports.clear()
    await Promise.all([this.refreshLibrary(), project ? this.imports.refresh() : Promise.resolve()])
  }

  async #attempt(action: () => Promise<void>): Promise<boolean> {
    this.#busy = true
    this.#error = null
    try {
      await action()
      return true
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
      return false
    } finally {
      this.#busy = false
    }
  }
}

export function provideAppState(state: AppState): void {
  setContext(KEY, state)
}

export function useAppState(): AppState {
  return getContext<AppState>(KEY)
}
