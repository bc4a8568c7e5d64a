// What a run's model is and how it reads an image: the report's title block and its preprocessing
// table, from the run row alone (and, for an imported model, the metadata stored with it).
import type { Database } from 'better-sqlite3'
import type { RunSummary } from '../contract/types'
import { IMPORTED_MODEL_KIND } from '../contract/run-import'
import type { ImportedModelMetadata } from '../classifier/onnx-import-source'
import { describePreprocessing, scalingFor } from '../classifier/model-metadata'
import { transferInfoOf } from '../classifier/transfer-info'
import { loadRunOnnxModel } from '../db/queries/run-onnx-models'
import { BASE_MODELS, MOBILENET_V2_ID } from '../models/base-models'

/**
 * The licence each base model's weights come under. The Keras MobileNetV2 ImageNet weights are the
 * TF-slim checkpoint of tensorflow/models (Apache License 2.0); the ImageNet images have their own terms.
 */
const BASE_MODEL_LICENSES: Record<string, string> = {
  [MOBILENET_V2_ID]: 'Apache License 2.0 (the TF-slim ImageNet checkpoint of tensorflow/models, as converted for Keras Applications)'
}

export interface ModelInfo {
  /** 'Seed CNN', 'MobileNetV2 head', 'Imported ONNX model'. */
  title: string
  kind: string
  /** How its weights began: "trained from scratch", "a head on <base model>", "imported from <file>". */
  origin: string
  baseModel: { title: string; version: string; license: string } | null
  imported: { source: string; importedAt: number; originalKind: string; writtenBy: string | null; metadataFrom: string } | null
}

export interface InputInfo {
  width: number
  height: number
  channels: number
  /** "x / 255 → [0, 1]" and the like. */
  scaling: string
  /** The whole recipe, as an exported model's metadata says it. */
  description: string
}

function scalingText(scale: number, offset: number): string {
  const low = offset
  const high = 255 * scale + offset
  return `value × ${+scale.toPrecision(6)} + ${+offset.toPrecision(6)} (bytes 0–255 → [${+low.toFixed(3)}, ${+high.toFixed(3)}])`
}

/** Which model, where from, and how its input is made. */
export function describeModel(db: Database, run: RunSummary): { model: ModelInfo; input: InputInfo | null } {
  if (run.modelKind === IMPORTED_MODEL_KIND) {
    const stored = loadRunOnnxModel<ImportedModelMetadata>(db, run.id)
    const metadata = stored?.metadata
    const input = metadata
      ? {
          width: metadata.input.width,
          height: metadata.input.height,
          channels: metadata.input.channels,
          scaling: scalingText(metadata.preprocessing.scale, metadata.preprocessing.offset),
          description: metadata.preprocessing.description
        }
      : null
    return {
      model: {
        title: 'Imported ONNX model',
        kind: run.modelKind,
        origin: `trained elsewhere and imported from ${stored?.source ?? 'an ONNX file'}`,
        baseModel: metadata?.baseModelVersion ? { title: metadata.baseModelVersion, version: metadata.baseModelVersion, license: 'see the model’s source' } : null,
        imported: stored
          ? {
              source: stored.source,
              importedAt: stored.importedAt,
              originalKind: metadata?.modelKind ?? 'unknown',
              writtenBy: metadata?.writtenBy ?? null,
              metadataFrom: metadata?.metadataFrom ?? 'unknown'
            }
          : null
      },
      input
    }
  }
  if (run.modelKind === 'mobilenetv2') {
    const transfer = transferInfoOf(run.summary)
    const info = BASE_MODELS.find((model) => transfer?.baseModelVersion.startsWith(model.versionPrefix)) ?? BASE_MODELS[0]!
    const [height, width, channels] = transfer?.input ?? (info.inputShape as [number, number, number])
    const { scale, offset } = scalingFor('mobilenetv2')
    return {
      model: {
        title: transfer?.fineTune ? 'MobileNetV2, top blocks fine-tuned' : 'MobileNetV2 head',
        kind: run.modelKind,
        origin: transfer?.fineTune
          ? `a classification head trained on the frozen features of ${info.title}, then its top ${transfer.fineTune.blocks} block${transfer.fineTune.blocks === 1 ? '' : 's'}, Conv_1 and the head fine-tuned together (batch norm in inference mode, Adam at ${transfer.fineTune.learningRate})`
          : `a classification head trained on the frozen features of ${info.title}`,
        baseModel: { title: info.title, version: transfer?.baseModelVersion ?? 'not recorded', license: BASE_MODEL_LICENSES[info.id] ?? 'not recorded' },
        imported: null
      },
      input: {
        width,
        height,
        channels,
        scaling: scalingText(scale, offset),
        description: transfer?.preprocessing ?? describePreprocessing({ height, width, channels }, { scale, offset }).description
      }
    }
  }
  const size = Number(run.settings.imageSize)
  const channels = Number(run.settings.channels ?? 3)
  const { scale, offset } = scalingFor('cnn')
  return {
    model: { title: 'Seed CNN', kind: run.modelKind, origin: 'trained from scratch (no pretrained weights)', baseModel: null, imported: null },
    input: Number.isInteger(size)
      ? { width: size, height: size, channels, scaling: scalingText(scale, offset), description: describePreprocessing({ height: size, width: size, channels }, { scale, offset }).description }
      : null
  }
}
