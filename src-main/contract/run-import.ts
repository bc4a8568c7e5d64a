import { z } from 'zod'
import { absolutePath, displayName } from './paths'

// Bringing a classifier trained elsewhere back as a run (issue 15, "Bring it back"): an ONNX model
// with Pictor's metadata (an export folder, or metadata.json / metadata_props written by another
// tool), or a bare .onnx with its labels and preprocessing given. The same call `pictor runs import` makes.

function returns<T>(): T {
  return undefined as T
}

/** training_runs.model_kind of an imported run: its model is an ONNX graph, run by ONNX Runtime. */
export const IMPORTED_MODEL_KIND = 'onnx'

/** Named scalings: mobilenet = x / 127.5 − 1 ([−1, 1]); unit = x / 255 ([0, 1]). */
export const PREPROCESSING_PRESETS = { mobilenet: { scale: 1 / 127.5, offset: -1 }, unit: { scale: 1 / 255, offset: 0 } } as const
export type PreprocessingPreset = keyof typeof PREPROCESSING_PRESETS

const scaling = z.object({ scale: z.number().finite().refine((value) => value !== 0, 'scale may not be 0'), offset: z.number().finite() }).strict()

export const runImportMethods = {
  /**
   * Registers the ONNX classifier at `path` (a .onnx file, or a folder holding model.onnx) as a finished
   * run of the open project. `labels` and `preprocessing` are needed only when the model carries no
   * Pictor metadata; given, they override it. Every label must be a class of the project.
   */
  'runs.import': {
    request: z
      .object({
        path: absolutePath('a model file or folder'),
        labels: z.array(displayName('a label needs a name', 100)).min(2, 'a classifier needs at least 2 labels').max(1000, 'at most 1000 labels').optional(),
        preprocessing: z.union([z.enum(['mobilenet', 'unit']), scaling]).optional()
      })
      .strict(),
    response: returns<ImportedRun>()
  }
} as const

/** What an import registered (the same shape as `pictor runs import --json`). */
export interface ImportedRun {
  runId: number
  /** Class names in the model's output order. */
  labels: string[]
  input: { height: number; width: number; channels: 1 | 3 }
  preprocessing: { scale: number; offset: number }
  /** What runs it: 'onnxruntime'. */
  engine: string
  /** The .onnx file it was read from, and where its metadata came from. */
  source: string
  metadataFrom: 'metadata_props' | 'metadata.json' | 'flags'
  /** modelKind as the model's metadata said (e.g. 'mobilenetv2'), else 'external'. */
  originalKind: string
}
