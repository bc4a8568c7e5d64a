// Stage 2 of a MobileNetV2 run (issue 18): after the head, fine-tune the top N blocks on cached
// block-14-input activations. The backbone below block 14 never runs during training: its output
// is extracted once per image (ONNX Runtime, cached by content hash + base model + spec like the
// pooled features), and only blocks 14–16, Conv_1 and the head run forward and backward.
import type { TrainSettings } from '../../contract/types'
import { AppError } from '../../core/errors'
import { getFeatures } from '../../db/queries/image-features'
import type { TrainingExample } from '../../db/queries/training-data'
import { extractMissingFeatures } from '../../classifier/features/extract-features'
import { featureLength, featureShape, type FeatureSpec } from '../../classifier/features/feature-spec'
import type { FineTuneInfo, TransferInfo } from '../../classifier/transfer-info'
import { classWeights, stepsPerEpoch } from '../../training/data/sampler'
import type { PlugContext, PreparedTraining, StageOutcome } from '../../training/training-plug'
import { featureBatches, packFeatures, type FeatureSet } from '../feature-set'
import { readTopWeights } from './base-weights'
import { fineTuneRate } from './fine-tune-rate'
import { mirrorHalf } from './mirror-batches'
import { buildTopModel } from './top-model'

/** The least dropout stage 2 trains with (measured with the mirroring and learning rate: README). */
export const FINE_TUNE_MIN_DROPOUT = 0.5

export interface FineTuneParts {
  context: PlugContext
  /** The settings stage 1 trained with (after the automatic choices). */
  settings: TrainSettings
  /** Stage 1's record (base model, pooled spec, extraction). */
  transfer: TransferInfo
}

/** The `nextStage` of the MobileNetV2 plug: prepares stage 2 from how stage 1 ended. */
export function fineTuneStage(parts: FineTuneParts): (previous: StageOutcome) => Promise<PreparedTraining<{ transfer: TransferInfo }>> {
  return async (previous) => {
    const { context, settings, transfer } = parts
    const { db, examples, notes } = context
    const spec: FeatureSpec = { ...(transfer.featureSpec ?? { inputSize: 224, precision: 'float32' }), boundary: 'block_14_input' }
    const extraction = await extractMissingFeatures(db, examples, {
      modelsDir: context.modelsDir,
      cacheDir: context.cacheDir,
      signal: context.signal,
      backend: settings.backend,
      spec,
      onProgress: context.onProgress
    })
    const top = await readTopWeights(context.modelsDir)
    for (const version of [extraction.modelVersion, top.version]) {
      if (version !== transfer.baseModelVersion) {
        throw new AppError('INVALID_REQUEST', `the base model changed during the run (${transfer.baseModelVersion} became ${version}); train again`)
      }
    }
    const rate = extraction.imagesPerSecond === null ? '' : ` at ${extraction.imagesPerSecond.toFixed(1)} images/s`
    notes.push(`block 14 inputs: ${extraction.computed} extracted${extraction.computed > 0 ? ` with ${extraction.engine}${rate}` : ''}, ${extraction.cached} from the cache`)
    const length = featureLength(extraction.spec)
    const byHash = getFeatures(db, extraction.cacheKey, examples.flatMap((example) => example.contentHash ?? []))
    const split = (name: TrainingExample['split']) => packFeatures(examples.filter((example) => example.split === name), byHash, length)
    const sets = { train: split('train'), val: split('val'), test: split('test') }
    byHash.clear()
    if (sets.train.size === 0) throw new AppError('INVALID_REQUEST', 'no image in the training split could be read')

    const learning = fineTuneRate(settings.fineTuneLearningRate, sets.train.size)
    const stageSettings: TrainSettings = {
      ...settings,
      optimizer: 'adam',
      learningRate: learning.learningRate,
      epochs: previous.firstEpoch + settings.fineTuneEpochs,
      // A few million weights now learn from the same images the head fitted: more dropout before the head.
      dropout: Math.max(settings.dropout, FINE_TUNE_MIN_DROPOUT)
    }
    notes.push(
      `stage 2: fine-tuning the top ${settings.fineTuneBlocks} block${settings.fineTuneBlocks === 1 ? '' : 's'} + Conv_1 (batch norm folded, in inference mode) ` +
        `from the head's best weights, Adam at ${learning.learningRate}${learning.chosen ? ` (chosen from ${sets.train.size} training images)` : ''}, ` +
        `dropout ${stageSettings.dropout}, half of each batch mirrored`
    )
    const fineTune: FineTuneInfo = {
      blocks: settings.fineTuneBlocks,
      epochsRun: 0,
      maxEpochs: settings.fineTuneEpochs,
      firstEpoch: previous.firstEpoch,
      learningRate: learning.learningRate,
      learningRateChosen: learning.chosen,
      dropout: stageSettings.dropout,
      stage1: { epochs: previous.firstEpoch, bestEpoch: previous.bestEpoch, valLoss: previous.valLoss, valAccuracy: previous.valAccuracy },
      extraction: {
        total: extraction.total,
        cached: extraction.cached,
        computed: extraction.computed,
        imagesPerSecond: extraction.imagesPerSecond,
        engine: extraction.engine
      }
    }
    const numClasses = context.classes.length
    return {
      ...topTraining(sets, extraction.spec, stageSettings, numClasses),
      buildModel: () =>
        buildTopModel({
          spec: extraction.spec,
          base: top.weights,
          trainableBlocks: settings.fineTuneBlocks,
          classes: numClasses,
          dropout: stageSettings.dropout,
          seed: settings.seed,
          head: previous.model
        }),
      callbacks: [
        {
          // Counted from the run's epoch numbers, so a resumed stage counts the epochs before the resume too.
          onEpochEnd: (metrics) => void (fineTune.epochsRun = metrics.epoch + 1 - previous.firstEpoch),
          onTrainEnd: (state) => {
            if (state.stopReason !== 'cancelled') notes.push(stage2Summary(fineTune))
          }
        }
      ],
      extra: { transfer: { ...transfer, featureSpec: extraction.spec, storedModel: 'top', fineTune } }
    }
  }
}

/** The run's closing note on stage 2 (the best validation figures are in the run's epochs and summary). */
function stage2Summary(fineTune: FineTuneInfo): string {
  const head = fineTune.stage1.valAccuracy === null ? '' : `; the head alone reached ${(fineTune.stage1.valAccuracy * 100).toFixed(1)}% validation accuracy`
  return `stage 2 ran ${fineTune.epochsRun} of ${fineTune.maxEpochs} epochs from epoch ${fineTune.firstEpoch + 1}${head}; the stored model is the fine-tuned top`
}

/** Batches of block-14 activations, in the same order and with the same class weighting as stage 1's. */
function topTraining(
  sets: Record<'train' | 'val' | 'test', FeatureSet>,
  spec: FeatureSpec,
  settings: TrainSettings,
  numClasses: number
): Omit<PreparedTraining<object>, 'extra' | 'buildModel' | 'nextStage'> {
  const { seed, oversample } = settings
  const shape = featureShape(spec)
  const counts = Array.from({ length: numClasses }, (_, index) => sets.train.classIndices.filter((value) => value === index).length)
  const weights = settings.classWeights && !oversample ? classWeights(counts) : undefined
  return {
    settings,
    hasValidation: sets.val.size > 0,
    batchesPerEpoch: (batchSize) => stepsPerEpoch(sets.train.classIndices, { batchSize, oversample }),
    trainBatches: (epoch, batchSize) =>
      mirrorHalf(featureBatches(sets.train, { batchSize, numClasses, seed, epoch, oversample, shape, ...(weights ? { classWeights: weights } : {}) }), seed, epoch),
    evaluationBatches: (split, batchSize) => featureBatches(sets[split], { batchSize, numClasses, seed, epoch: 0, shuffle: false, shape })
  }
}
