import { mkdirSync, writeFileSync } from 'node:fs'
import sharp from 'sharp'
import type { TrainSettings } from '../../src-main/contract/types'
import { trainSettingsSchema } from '../../src-main/contract/train-settings'
import { createRun } from '../../src-main/db/queries/training-runs'
import type { JobContext, ProgressUpdate } from '../../src-main/jobs/job'
import { fixturePath } from './image-fixtures'
import { runImport, setUpImport, withProjectDb, type ImportSetup } from './import-project'

// Real projects for the training engine: small PNGs in two visibly different "looks" (reddish and
// bluish, with per-pixel noise so every file is distinct), imported with the real importer.

export const LOOKS = {
  red: [210, 50, 40],
  blue: [40, 60, 210]
} as const satisfies Record<string, readonly [number, number, number]>

export type Look = keyof typeof LOOKS

/** A `size`×`size` PNG of `look` plus seeded noise (±45 per channel), different for every seed. */
export function lookPng(look: Look, seed: number, size = 20): Promise<Buffer> {
  const base = LOOKS[look]
  const data = Buffer.alloc(size * size * 3)
  let state = (seed * 2654435761 + 12345) >>> 0
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    data[i] = Math.max(0, Math.min(255, base[i % 3]! + ((state >>> 24) % 91) - 45))
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer()
}

/** `count` images of `look` written to `dir` (relative to the import folder, e.g. 'train/red'). */
export interface ImageGroup {
  dir: string
  look: Look
  count: number
}

let nextSeed = 1

export async function writeGroups(folder: string, groups: readonly ImageGroup[]): Promise<void> {
  for (const group of groups) {
    for (let i = 0; i < group.count; i++) {
      const seed = nextSeed++
      writeFileSync(fixturePath(folder, `${group.dir}/img-${seed}.png`), await lookPng(group.look, seed))
    }
  }
}

/** The usual split-by-folder layout: `train`, `val` and `test` counts per class (red, blue). */
export function splitGroups(counts: { train: [number, number]; val?: [number, number]; test?: [number, number] }): ImageGroup[] {
  const groups: ImageGroup[] = []
  for (const split of ['train', 'val', 'test'] as const) {
    const [red, blue] = counts[split] ?? [0, 0]
    if (red) groups.push({ dir: `${split}/red`, look: 'red', count: red })
    if (blue) groups.push({ dir: `${split}/blue`, look: 'blue', count: blue })
  }
  return groups
}

/** A new project in `dir` (created if missing) with `groups` written and imported by the real importer. */
export async function createTrainingProject(dir: string, groups: readonly ImageGroup[]): Promise<ImportSetup> {
  mkdirSync(dir, { recursive: true })
  const setup = setUpImport(dir)
  await writeGroups(setup.folder, groups)
  const report = await runImport(setup)
  const total = groups.reduce((sum, group) => sum + group.count, 0)
  if (report.imported !== total) throw new Error(`imported ${report.imported} of ${total} images`)
  return setup
}

/** Small, fast settings on the wasm backend; `overrides` go through the real schema. */
export function trainSettings(overrides: Partial<TrainSettings> = {}): TrainSettings {
  return trainSettingsSchema.parse({
    backend: 'wasm',
    imageSize: 20,
    epochs: 3,
    batchSize: 8,
    learningRate: 0.003,
    ...overrides
  }) as TrainSettings
}

/** A queued run row, as train.start creates it. */
export function queueRun(projectPath: string, settings: TrainSettings): number {
  return withProjectDb(projectPath, (db) => createRun(db, { modelKind: settings.model, settings, classNames: [], backend: null }))
}

/** A job context that records every update; `cancelWhen` aborts the signal when it answers true. */
export function recordingContext(cancelWhen?: (update: ProgressUpdate) => boolean): JobContext & {
  updates: ProgressUpdate[]
  controller: AbortController
} {
  const controller = new AbortController()
  const updates: ProgressUpdate[] = []
  return {
    signal: controller.signal,
    controller,
    updates,
    onProgress(update) {
      updates.push(update)
      if (cancelWhen?.(update)) controller.abort()
    }
  }
}
