// One-click transfer learning as a training plug: MobileNetV2 features for every labeled image
// (cached in the project by content hash, so a retrain only extracts what is new), then a small
// head trained on them by the same lifecycle, loop and callbacks as the seed CNN; with fine-tuning
// on, a second stage trains the top blocks after it (fine-tune/fine-tune-stage.ts).
import type { TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { getFeatures } from '../db/queries/image-features'
import { medianShortSide } from '../db/queries/image-sizes'
import type { TrainingExample } from '../db/queries/training-data'
import { BASE_MODEL_ID, FEATURE_SIZE } from '../classifier/features/base-model'
import { extractMissingFeatures, type ExtractionReport } from '../classifier/features/extract-features'
import { mobileNetPreprocessing } from '../classifier/features/mobilenet-preprocess'
import type { TransferInfo } from '../classifier/transfer-info'
import { classCounts, classWeights, stepsPerEpoch } from '../training/data/sampler'
import type { PreparedTraining, TrainingPlug } from '../training/training-plug'
import { featureBatches, packFeatures, type FeatureSet } from './feature-set'
import { buildHead } from './head-model'
import { chooseFeatures } from './feature-choice'
import { resolveTransferSettings } from './transfer-settings'
import { fineTuneStage } from './fine-tune/fine-tune-stage'

export const transferHeadPlug: TrainingPlug<{ transfer: TransferInfo }> = {
  kind: 'mobilenetv2',
  async prepare(context) {
    const { db, examples, signal, notes } = context
    const features = chooseFeatures(context.settings, { medianShortSide: medianShortSide(db, examples.flatMap((example) => (example.split === 'train' ? [example.imageId] : []))) })
    const extraction = await extractMissingFeatures(db, examples, {
      modelsDir: context.modelsDir,
      cacheDir: context.cacheDir,
      signal,
      backend: context.settings.backend,
      spec: features.spec,
      onProgress: context.onProgress
    })
    notes.push(...extractionNotes(extraction))
    const byHash = getFeatures(db, extraction.cacheKey, examples.flatMap((example) => example.contentHash ?? []))
    const split = (name: TrainingExample['split']) => packFeatures(examples.filter((example) => example.split === name), byHash)
    const sets = { train: split('train'), val: split('val'), test: split('test') }
    const left = sets.train.left + sets.val.left + sets.test.left
    if (left > 0) notes.push(`${left} image${left === 1 ? '' : 's'} could not be read and ${left === 1 ? 'was' : 'were'} left out`)
    if (sets.train.size === 0) throw new AppError('INVALID_REQUEST', 'no image in the training split could be read')

    const counts = classCounts(sets.train.classIndices, context.classes.length)
    const resolved = resolveTransferSettings(context.settings, { trainCounts: counts, hasValidation: sets.val.size > 0 })
    const chosen = [...features.chosen, ...resolved.chosen]
    if (chosen.length > 0) notes.push(`chosen from the data: ${chosen.join(', ')}`)
    const transfer: TransferInfo = {
      baseModel: BASE_MODEL_ID,
      baseModelVersion: extraction.modelVersion,
      featureSpec: extraction.spec,
      input: [extraction.spec.inputSize, extraction.spec.inputSize, 3],
      preprocessing: mobileNetPreprocessing(extraction.spec.inputSize),
      featureSize: FEATURE_SIZE,
      storedModel: 'head',
      extraction: {
        total: extraction.total,
        cached: extraction.cached,
        computed: extraction.computed,
        imagesPerSecond: extraction.imagesPerSecond,
        engine: extraction.engine,
        skipped: left
      },
      settings: resolved.settings as unknown as Record<string, unknown>
    }
    const stage2 = resolved.settings.fineTuneBlocks > 0 ? { nextStage: fineTuneStage({ context, settings: resolved.settings, transfer }) } : {}
    return { ...headTraining(sets, counts, resolved.settings), extra: { transfer }, ...stage2 }
  }
}

function extractionNotes(extraction: ExtractionReport): string[] {
  const rate = extraction.imagesPerSecond === null ? '' : ` at ${extraction.imagesPerSecond.toFixed(1)} images/s`
  const engine = extraction.computed > 0 ? ` with ${extraction.engine}` : ''
  return [
    `base model ${extraction.modelVersion}`,
    `features: ${extraction.computed} extracted${engine}${rate}, ${extraction.cached} from the cache`,
    ...(extraction.fallback ? [extraction.fallback] : [])
  ]
}

/** The head and its batches on the packed features of each split. */
function headTraining(
  sets: Record<'train' | 'val' | 'test', FeatureSet>,
  counts: number[],
  settings: TrainSettings
): Omit<PreparedTraining<object>, 'extra' | 'nextStage'> {
  const { seed, oversample } = settings
  const numClasses = counts.length
  // Oversampling already evens the classes out; weighting on top would correct the imbalance twice.
  const weights = settings.classWeights && !oversample ? classWeights(counts) : undefined
  return {
    settings,
    hasValidation: sets.val.size > 0,
    buildModel: () => buildHead({ classes: numClasses, dropout: settings.dropout, seed }),
    batchesPerEpoch: (batchSize) => stepsPerEpoch(sets.train.classIndices, { batchSize, oversample }),
    trainBatches: (epoch, batchSize) =>
      featureBatches(sets.train, { batchSize, numClasses, seed, epoch, oversample, ...(weights ? { classWeights: weights } : {}) }),
    evaluationBatches: (split, batchSize) => featureBatches(sets[split], { batchSize, numClasses, seed, epoch: 0, shuffle: false })
  }
}
