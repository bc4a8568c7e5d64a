import { getContext, setContext } from 'svelte'
import type { ErrorCode } from '@contract/envelope'
import type { AppInfo, LabelChange, LibrarySummary, ProjectSummary, RecentProject } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { BackupsState } from './backups-state.svelte'
import { ImportState } from './import-state.svelte'
import { LabelChangeFeed } from './label-change-feed'
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
  /** The code of the error shown, and the project it concerns (a damaged one offers its backups). */
  #errorCode = $state<ErrorCode | null>(null)
  #errorPath = $state<string | null>(null)
  #busy = $state(false)
  /** Bumped by every label change applied to the counts: a summary read meanwhile may predate it. */
  #changesApplied = 0
  view = $state<ViewId>('library')
  readonly imports: ImportState
  readonly backups: BackupsState
  /** Every label change, once, for every view of this window. */
  readonly labelChanges: LabelChangeFeed

  constructor(readonly api: Client) {
    this.imports = new ImportState(api)
    this.backups = new BackupsState(api)
    this.labelChanges = new LabelChangeFeed(api)
    this.labelChanges.subscribe((change) => this.#applyCounts(change))
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
  get errorCode() {
    return this.#errorCode
  }
  /** The project the shown error is about, when it came from opening or creating one. */
  get errorPath() {
    return this.#errorPath
  }
  get busy() {
    return this.#busy
  }

  async start(): Promise<void> {
    this.api.on('project.changed', (project) => void this.#adopt(project))
    this.api.on('library.changed', () => void this.refreshLibrary())
    this.api.connection.onConnectionChange((connected) => {
      this.#connected = connected
      // After a server restart, re-read everything rather than trust what the page remembers.
      if (connected) void this.#load()
    })
    await this.#load()
  }

  async createProject(path: string, name?: string): Promise<boolean> {
    return this.#attempt(async () => {
      await this.#adopt(await this.api.call('project.create', { path, ...(name ? { name } : {}) }))
      this.#rememberFolder('project', path)
    }, path)
  }

  async openProject(path: string): Promise<boolean> {
    return this.#attempt(async () => {
      await this.#adopt(await this.api.call('project.open', { path }))
      this.#rememberFolder('project', path)
    }, path)
  }

  /** Where the next file picker for `purpose` opens, however the path was given (typed, browsed, a recent project). */
  #rememberFolder(purpose: string, path: string): void {
    void this.api.call('files.remember', { purpose, path }).catch(() => null)
  }

  /** Restores a backup of the project the backups panel shows, then opens it. */
  async restoreBackup(id: string): Promise<boolean> {
    const restored = await this.backups.restore(id)
    if (!restored) return false
    this.#error = null
    return this.openProject(restored.path)
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
    const path = await this.api.call('dialog.pickProjectToOpen', { purpose: 'project' }).catch(() => null)
    return path ? this.openProject(path) : false
  }

  async pickAndCreate(): Promise<boolean> {
    const path = await this.api.call('dialog.pickProjectToCreate', { purpose: 'project' }).catch(() => null)
    return path ? this.createProject(path) : false
  }

  /**
   * Re-reads the counts (a project opened, an import ran). Label changes move them by what they
   * carry instead; one that lands while this read is in flight may or may not be in its answer, so
   * the read is taken again (a few times at most: the user may be labeling fast meanwhile).
   */
  async refreshLibrary(): Promise<void> {
    let summary: LibrarySummary | null = null
    for (let attempt = 0; attempt < 3; attempt++) {
      const applied = this.#changesApplied
      summary = this.#project ? await this.api.call('library.summary', {}).catch(() => null) : null
      if (applied === this.#changesApplied) break
    }
    this.#library = summary
  }

  dismissError(): void {
    this.#error = null
    this.#errorCode = null
    this.#errorPath = null
  }

  /** What the Library and the Label view count, moved by one label change without asking again. */
  #applyCounts(change: LabelChange): void {
    this.#changesApplied++
    const library = this.#library
    if (!library) return
    const moved = new Map(change.counts.perClass.map(({ classId, delta }) => [classId, delta]))
    this.#library = {
      ...library,
      labeled: library.labeled + change.counts.labeled,
      unlabeled: library.unlabeled - change.counts.labeled,
      // Unmoved classes keep their objects, so only what changed re-renders.
      classes: change.classes ?? library.classes.map((item) => (moved.has(item.id) ? { ...item, count: item.count + moved.get(item.id)! } : item)),
      labelsPerMinute: change.counts.labelsPerMinute
    }
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

  async #attempt(action: () => Promise<void>, path: string | null = null): Promise<boolean> {
    this.#busy = true
    this.dismissError()
    try {
      await action()
      return true
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
      this.#errorCode = error instanceof ApiError ? error.code : 'INTERNAL'
      this.#errorPath = path
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
