// Response and event payload types shared by main and renderer. Plain data only: everything here
// crosses a process boundary as structured-clone or JSON.

export type Transport = 'electron' | 'browser' | 'cli'

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'

export interface BackendReport {
  /** The backend training will use: the best one present, in the order the engine prefers. */
  selected: BackendName
  /** Human-readable, for the status bar. */
  label: string
  /** Every backend with whether its package is installed here. */
  candidates: { name: BackendName; packageName: string; installed: boolean }[]
}

export interface AppInfo {
  version: string
  transport: Transport
  platform: string
  /** Electron gives native open/save dialogs; browser mode asks for a path instead. */
  nativeDialogs: boolean
  dataDir: string
  backend: BackendReport
}

export interface ProjectSummary {
  path: string
  name: string
  schemaVersion: number
  createdAt: number
}

export interface RecentProject {
  path: string
  name: string
  openedAt: number
  /** False when the file has gone since it was last opened. */
  exists: boolean
}

export interface ClassCount {
  id: number
  name: string
  color: string
  count: number
}

export interface LibrarySummary {
  total: number
  labeled: number
  unlabeled: number
  failed: number
  classes: ClassCount[]
}

export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export interface JobProgress {
  jobId: string
  kind: string
  state: JobState
  done: number
  total: number | null
  message: string
  ratePerSecond: number | null
  etaSeconds: number | null
}

export type ImageSplit = 'train' | 'val' | 'test'

/** The report of one folder import (see src-main/import/import-report.ts for the meaning of each count). */
export interface ImportReport {
  folder: string
  imported: number
  updated: number
  unchanged: number
  removed: number
  skipped: number
  duplicates: number
  failed: number
  errors: { path: string; code: string; message: string }[]
  classes: Record<string, number>
  splits: Record<ImageSplit, number>
  cancelled: boolean
  durationMs: number
  imagesPerSecond: number
}

export interface ImportRunSummary {
  folder: string
  /** 'interrupted': the app stopped (crash, kill) while it ran; importing the folder again resumes it. */
  status: 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted'
  startedAt: number
  finishedAt: number | null
  report: ImportReport | null
}

export interface ImageSummary {
  id: number
  relPath: string
  status: 'ok' | 'failed' | 'missing'
  /** Names the thumbnail (`/thumbs/<hash>.webp`); null for files that failed. */
  contentHash: string | null
  className: string | null
  split: ImageSplit | null
  errorCode: string | null
  errorMessage: string | null
}

export interface ImagePage {
  total: number
  items: ImageSummary[]
}
