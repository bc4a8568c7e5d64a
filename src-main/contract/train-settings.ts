import { z } from 'zod'

/** The choices of the enumerated settings, for the CLI's usage checks and the Train view's pickers. */
export const TRAIN_MODELS = ['cnn', 'mobilenetv2'] as const
export const TRAIN_OPTIMIZERS = ['adam', 'sgd'] as const
export const TRAIN_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const
export const TRAIN_QUANTIZE = ['auto', 'none', 'int8'] as const
/** The input sides MobileNetV2 is offered at (feature-spec.ts takes them from here). */
export const MOBILENET_INPUT_SIZES = [96, 128, 160, 192, 224] as const
/** Blocks 14, 15 and 16 sit above block 13's 7×7×160 output (at 224 px), where stage 2's cached activations are taken. */
export const MAX_FINE_TUNE_BLOCKS = 3

/**
 * The one source of the training settings: their names, limits and defaults. The contract, the CLI,
 * the Train view and Review's "retrain" all derive from it.
 */
export const trainSettingsSchema = z
  .object({
    /** 'mobilenetv2': frozen ImageNet features, cached per image, and a small trained head. */
    model: z.enum(TRAIN_MODELS).default('cnn'),
    epochs: z.number().int().min(1).max(1000).default(10),
    batchSize: z.number().int().min(1).max(4096).default(64),
    learningRate: z.number().positive().max(10).default(0.001),
    optimizer: z.enum(TRAIN_OPTIMIZERS).default('adam'),
    momentum: z.number().min(0).max(0.999).default(0.9),
    imageSize: z.number().int().min(18).max(512).default(32),
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    augment: z.boolean().default(false),
    batchNorm: z.boolean().default(false),
    dropout: z.number().min(0).max(0.9).default(0),
    classWeights: z.boolean().default(false),
    oversample: z.boolean().default(false),
    /** Epochs without validation improvement before stopping; 0 turns early stopping off. */
    patience: z.number().int().min(0).max(1000).default(0),
    backend: z.enum(TRAIN_BACKENDS).nullable().default(null),
    seed: z.number().int().min(0).max(2 ** 31).default(1),
    /** MobileNetV2: the side the backbone sees images at; 'auto' chooses from the images' sizes (issue 18). */
    inputSize: z.union([z.literal('auto'), ...MOBILENET_INPUT_SIZES.map((size) => z.literal(size))]).default('auto'),
    /** MobileNetV2 stage 2: how many of the top inverted-residual blocks (14–16) to fine-tune after the head; 0: off. */
    fineTuneBlocks: z.number().int().min(0).max(MAX_FINE_TUNE_BLOCKS).default(0),
    fineTuneEpochs: z.number().int().min(1).max(1000).default(10),
    /** Stage 2's learning rate; null: chosen from the data size (far below the head's). */
    fineTuneLearningRate: z.number().positive().max(1).nullable().default(null),
    /** MobileNetV2: the backbone in int8 (static QDQ on ONNX Runtime) for feature extraction; 'auto': what was measured best here. */
    quantize: z.enum(TRAIN_QUANTIZE).default('auto')
  })
  .strict()

type Settings = z.output<typeof trainSettingsSchema>

/** Every setting at its default: the seed CNN's first run. */
export const TRAIN_DEFAULTS: Readonly<Settings> = Object.freeze(trainSettingsSchema.parse({}))

/**
 * What a run recorded before a setting existed trained with: filled in when such a run is resumed or
 * retrained, so it goes on the way it began (issue 18 added input size, stage 2 and int8; those runs
 * were 224 px, head only, float32).
 */
const BEFORE_THE_SETTING_EXISTED = Object.freeze({ inputSize: 224, fineTuneBlocks: 0, quantize: 'none' } as const satisfies Partial<Settings>)

/** A run's recorded settings, complete: what it lacks is what runs did before that setting existed. */
export function recordedSettings(recorded: Record<string, unknown>): Settings {
  return trainSettingsSchema.parse({ ...BEFORE_THE_SETTING_EXISTED, ...recorded })
}

/** The settings' names, in the schema's order. */
export const TRAIN_SETTING_KEYS = Object.freeze(Object.keys(trainSettingsSchema.shape) as (keyof Settings)[])

/**
 * One-click transfer learning with MobileNetV2: what differs from TRAIN_DEFAULTS. A head on frozen
 * features converges fast and overfits easily, so more epochs with early stopping and some dropout;
 * 224 px is the input size MobileNetV2 was trained at.
 */
export const MOBILENET_DEFAULTS = Object.freeze({
  model: 'mobilenetv2',
  epochs: 20,
  patience: 5,
  dropout: 0.2,
  imageSize: 224
} as const satisfies Partial<Settings>)

export type TrainModel = (typeof TRAIN_MODELS)[number]

/**
 * The model a run trains when nobody chose one — one rule for the Train view and `pictor train`:
 * MobileNetV2 once its weights are installed (a head on ImageNet features learns far more from a
 * few hundred images than a small CNN from scratch: 97 % against 61 % on 960 flower photos), else
 * the seed CNN, which needs nothing installed.
 */
export function defaultTrainModel(baseModelInstalled: boolean): TrainModel {
  return baseModelInstalled ? 'mobilenetv2' : 'cnn'
}

/** Every setting at the defaults that come with `model` (MOBILENET_DEFAULTS over TRAIN_DEFAULTS for MobileNetV2). */
export function defaultsForModel(model: TrainModel): Settings {
  return model === 'mobilenetv2' ? { ...TRAIN_DEFAULTS, ...MOBILENET_DEFAULTS } : { ...TRAIN_DEFAULTS }
}
