// config.json of a cluster bundle: what train.py reads. The training values come from the project's
// last MobileNetV2 run (else Pictor's one-click defaults), spelled in Python's snake_case; each becomes
// a train.py flag of the same name, so one file says what the defaults are and the command line
// overrides any of them.
import type { Database } from 'better-sqlite3'
import { defaultsForModel, trainSettingsSchema } from '../contract/train-settings'
import { listRuns } from '../db/queries/training-runs'
import { buildMetadata, type ExportMetadata } from '../classifier/model-metadata'
import { INPUT_SIZE } from '../classifier/features/base-model'
import { DEFAULT_AUGMENTATION } from '../training/data/augment'
import { classWeights } from '../training/data/sampler'
import { HOLDOUT_FRACTION } from '../training/holdout'
import type { FeatureCheck } from './bundle-check'

export type BundleDataFormat = 'imagefolder' | 'webdataset'

export interface BundleConfig {
  pictor: { version: string; project: string; createdAt: string; settingsFrom: string }
  data: { dir: string; format: BundleDataFormat; classes: string[] }
  weights: string
  baseModelVersion: string
  check: FeatureCheck
  training: Record<string, number | boolean | string | null | object>
  /** Pictor's export metadata with everything but what training decides (train.py adds size, history, test). */
  metadata: ExportMetadata & { fineTunedFrom: string }
}

/** Fine-tuning the backbone wants a far smaller step than the head: Keras' transfer-learning guide uses 1e-5 against 1e-3. */
const BACKBONE_LEARNING_RATE_FACTOR = 0.01
/** Epochs that train the head alone before the backbone joins (the same guide's first stage). */
const HEAD_EPOCHS = 2

/** The settings of the newest MobileNetV2 run, and which run that was; Pictor's one-click defaults when there is none. */
export function lastTransferSettings(db: Database) {
  const run = listRuns(db).find((entry) => entry.modelKind === 'mobilenetv2')
  const parsed = run ? trainSettingsSchema.safeParse(stripUnknown(run.settings)) : null
  if (run && parsed?.success) return { settings: parsed.data, from: `run ${run.id}` }
  return { settings: defaultsForModel('mobilenetv2'), from: "Pictor's MobileNetV2 defaults (the project has no MobileNetV2 run)" }
}

function stripUnknown(settings: Record<string, unknown>): Record<string, unknown> {
  const known = new Set(Object.keys(trainSettingsSchema.shape))
  return Object.fromEntries(Object.entries(settings).filter(([key]) => known.has(key)))
}

export function buildBundleConfig(options: {
  db: Database
  pictorVersion: string
  projectName: string
  format: BundleDataFormat
  classes: string[]
  /** Training images per class, in `classes` order (for class weights). */
  trainCounts: number[]
  baseModelVersion: string
  check: FeatureCheck
  now?: Date
}): BundleConfig {
  const { settings, from } = lastTransferSettings(options.db)
  const now = options.now ?? new Date()
  const metadata = buildMetadata(
    { runId: 0, kind: 'mobilenetv2', classNames: options.classes, inputShape: [INPUT_SIZE, INPUT_SIZE, 3], baseModelVersion: null },
    'onnx',
    options.pictorVersion,
    now
  )
  return {
    pictor: { version: options.pictorVersion, project: options.projectName, createdAt: now.toISOString(), settingsFrom: from },
    data: { dir: 'data', format: options.format, classes: options.classes },
    weights: 'weights',
    baseModelVersion: options.baseModelVersion,
    check: options.check,
    training: {
      image_size: INPUT_SIZE,
      epochs: settings.epochs,
      batch_size: settings.batchSize,
      learning_rate: settings.learningRate,
      backbone_learning_rate: settings.learningRate * BACKBONE_LEARNING_RATE_FACTOR,
      train_backbone: true,
      head_epochs: Math.min(HEAD_EPOCHS, Math.max(0, settings.epochs - 1)),
      optimizer: settings.optimizer,
      momentum: settings.momentum,
      dropout: settings.dropout,
      patience: settings.patience,
      seed: settings.seed,
      /** Held out of train for validation when the project has no validation split, as Pictor's own runs do. */
      validation_fraction: HOLDOUT_FRACTION,
      class_weights: settings.classWeights ? classWeights(options.trainCounts) : null,
      augmentation: settings.augment ? { ...DEFAULT_AUGMENTATION } : null
    },
    metadata: { ...metadata, fineTunedFrom: options.baseModelVersion }
  }
}
