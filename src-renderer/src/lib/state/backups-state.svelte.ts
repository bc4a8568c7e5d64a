import type { BackupInfo, BackupRestoreResult } from '@contract/types'
import { ApiError, type Client } from '../api/client'

/**
 * The backups panel: which project's backups are shown, the list, and restoring one. Opened from
 * the project menu, or from the error a damaged project gives when it is refused.
 */
export class BackupsState {
  #path = $state<string | null>(null)
  #list = $state.raw<BackupInfo[]>([])
  #loading = $state(false)
  #error = $state<string | null>(null)
  #restored = $state.raw<BackupRestoreResult | null>(null)

  constructor(private readonly api: Client) {}

  get path() {
    return this.#path
  }
  get list() {
    return this.#list
  }
  get loading() {
    return this.#loading
  }
  get error() {
    return this.#error
  }
  /** The last restore, to say where the replaced file was kept. */
  get restored() {
    return this.#restored
  }

  async show(path: string): Promise<void> {
    this.#path = path
    this.#restored = null
    this.#error = null
    this.#loading = true
    try {
      this.#list = await this.api.call('backups.list', { path })
    } catch (error) {
      this.#list = []
      this.#error = error instanceof ApiError ? error.message : String(error)
    } finally {
      this.#loading = false
    }
  }

  hide(): void {
    this.#path = null
    this.#list = []
    this.#error = null
  }

  /** Puts a backup in the project's place; resolves to the result, or null (the error is shown). */
  async restore(id: string): Promise<BackupRestoreResult | null> {
    const path = this.#path
    if (!path) return null
    this.#loading = true
    this.#error = null
    try {
      this.#restored = await this.api.call('backups.restore', { path, id })
      return this.#restored
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
      return null
    } finally {
      this.#loading = false
    }
  }
}
