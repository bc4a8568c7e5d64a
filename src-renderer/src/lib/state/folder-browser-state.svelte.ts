import type { FolderEntry, FolderListing } from '@contract/types'
import { ApiError, type Client } from '../api/client'

export type PickMode = 'folder' | 'file'

export interface FolderBrowserOptions {
  /** What is being chosen ('import', 'export', 'project', 'weights' …): each remembers its last folder. */
  purpose: string
  mode: PickMode
  /** File mode: the extensions offered, without the dot (e.g. ['h5', 'json']). */
  extensions?: readonly string[]
}

/**
 * Browser mode's folder browser: one folder listed at a time through `files.list` (which keeps it
 * inside the user's home and mounted volumes), the file picked in file mode, and the folder
 * remembered for the purpose once something is chosen.
 */
export class FolderBrowserState {
  #listing = $state.raw<FolderListing | null>(null)
  #selected = $state.raw<FolderEntry | null>(null)
  #error = $state<string | null>(null)
  #loading = $state(false)
  showHidden = $state(false)
  /** Answers that arrive after a newer request are dropped: a slow listing must not replace a newer one. */
  #request = 0

  constructor(
    private readonly api: Client,
    readonly options: FolderBrowserOptions
  ) {}

  get listing() {
    return this.#listing
  }
  get selected() {
    return this.#selected
  }
  get error() {
    return this.#error
  }
  get loading() {
    return this.#loading
  }

  /** What "Choose" picks: the selected file (file mode) or the folder shown (folder mode). */
  get choice(): string | null {
    if (this.options.mode === 'file') return this.#selected?.kind === 'file' ? this.#selected.path : null
    return this.#listing?.path ?? null
  }

  /**
   * Lists `path`, or where this purpose was last left when it is left out. A start path that cannot
   * be listed (a half-typed path, a project file still to be made) quietly falls back to that.
   */
  async open(path?: string, fallback = true): Promise<void> {
    const request = ++this.#request
    this.#loading = true
    try {
      const listing = await this.api.call('files.list', {
        ...(path ? { path } : {}),
        purpose: this.options.purpose,
        showHidden: this.showHidden,
        ...(this.options.mode === 'file' && this.options.extensions ? { extensions: [...this.options.extensions] } : {})
      })
      if (request !== this.#request) return
      this.#listing = listing
      this.#error = null
      // Given a file (a path typed before), the listing is its folder: keep the file selected.
      this.#selected = listing.entries.find((entry) => entry.path === path && entry.kind === 'file') ?? null
    } catch (error) {
      if (request !== this.#request) return
      const text = error instanceof ApiError ? error.message : String(error)
      if (path && fallback && !this.#listing) await this.open(undefined, false)
      else this.#error = text
    } finally {
      if (request === this.#request) this.#loading = false
    }
  }

  up(): Promise<void> {
    return this.#listing?.parent ? this.open(this.#listing.parent) : Promise.resolve()
  }

  toggleHidden(): Promise<void> {
    this.showHidden = !this.showHidden
    return this.open(this.#listing?.path)
  }

  /** A click: a folder is entered, a file is selected. */
  activate(entry: FolderEntry): Promise<void> {
    if (entry.kind === 'folder') return this.open(entry.path)
    this.#selected = entry
    return Promise.resolve()
  }

  /** Remembers where the choice was made for next time; answers the chosen path. */
  async choose(path = this.choice): Promise<string | null> {
    if (!path) return null
    await this.api.call('files.remember', { purpose: this.options.purpose, path }).catch(() => null)
    return path
  }
}
