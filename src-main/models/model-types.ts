// The shapes model-store.ts hands out; importable without loading the store (contract, renderer types).
import type { BaseModelStatus } from '../contract/types'

export type ModelPhase = 'download' | 'read' | 'verify' | 'install'
/** `done`/`total` are bytes for download and read of a folder, layers for a `.h5`, steps otherwise. */
export interface ModelProgress {
  phase: ModelPhase
  done: number
  total: number | null
}

export interface InstallSource {
  kind: 'download' | 'h5' | 'tfjs'
  /** The URL, file or folder it came from. */
  location: string
  /** SHA-256 of the downloaded or imported `.h5` file (shown to the user as its checksum). */
  sha256?: string
  bytes?: number
}

/** The contract's view of a base model, plus where an installed copy came from. */
export interface ModelStatus extends BaseModelStatus {
  source?: InstallSource
}

export interface InstallResult {
  id: string
  path: string
  version: string
  bytes: number
  source: InstallSource
}

export interface InstallOptions {
  /** Replace a valid installed model (an invalid one is always replaced). */
  force?: boolean
  signal?: AbortSignal
  onProgress?: (progress: ModelProgress) => void
}

export interface FetchOptions extends InstallOptions {
  /** Another source for the official file (a mirror, or a loopback server in tests). */
  url?: string
  /** Defaults to the official size when `url` is the official URL. */
  expectedBytes?: number
  sha256?: string | null
}
