import { AppError } from '../core/errors'
import { MOBILENET_V2_FEATURES, mobileNetV2WeightSpecs, type WeightSpec } from './mobilenet-v2-architecture'

// The base models Pictor knows. The repository ships none of their weights: users download the
// official file or import one from disk (see model-store.ts).

export interface BaseModelInfo {
  id: string
  title: string
  /** Folder (inside the models dir) holding model.json and its shards. */
  folder: string
  /** One image, without the batch axis. */
  inputShape: number[]
  /** The backbone's output for one image, without the batch axis. */
  outputShape: number[]
  featureSize: number
  /** The official Keras ImageNet weights file that `fetch` downloads and converts. */
  download: {
    url: string
    fileName: string
    bytes: number
    /**
     * SHA-256 of the official file, when one is published. Keras publishes none for MobileNetV2
     * (keras.applications loads it without a file_hash), so the download is checked by size and by
     * structure (every layer, weight name and shape) instead; the UI shows the SHA-256 it computed.
     */
    sha256: string | null
  }
  /** Prefix of `version`; the full version adds a short hash of the weights (see versionOf). */
  versionPrefix: string
  weightSpecs(): WeightSpec[]
}

const KERAS_APPLICATIONS = 'https://storage.googleapis.com/tensorflow/keras-applications'
const MOBILENET_V2_FILE = 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5'

export const MOBILENET_V2_ID = 'mobilenet_v2_1.0_224'

export const BASE_MODELS: readonly BaseModelInfo[] = [
  {
    id: MOBILENET_V2_ID,
    title: 'MobileNetV2 1.0/224 (ImageNet)',
    folder: 'mobilenet_v2_1.0_224_no_top',
    inputShape: [224, 224, 3],
    outputShape: [7, 7, MOBILENET_V2_FEATURES],
    featureSize: MOBILENET_V2_FEATURES,
    download: {
      url: `${KERAS_APPLICATIONS}/mobilenet_v2/${MOBILENET_V2_FILE}`,
      fileName: MOBILENET_V2_FILE,
      bytes: 9_406_464,
      sha256: null
    },
    versionPrefix: 'mobilenet_v2_1.0_224@imagenet',
    weightSpecs: mobileNetV2WeightSpecs
  }
]

export const DEFAULT_BASE_MODEL = MOBILENET_V2_ID

export function baseModel(id: string = DEFAULT_BASE_MODEL): BaseModelInfo {
  const info = BASE_MODELS.find((model) => model.id === id)
  if (!info) throw new AppError('NOT_FOUND', `unknown base model "${id}" (known: ${BASE_MODELS.map((model) => model.id).join(', ')})`)
  return info
}

/**
 * The version string used as the feature-cache key: the model id plus the first 12 hex digits of the
 * SHA-256 of its weights in canonical order, so the same weights give the same version whether they
 * came from the `.h5`, a TF.js folder or the download.
 */
export function versionOf(info: BaseModelInfo, weightsSha256: string): string {
  return `${info.versionPrefix}:${weightsSha256.slice(0, 12)}`
}

/** What to tell a user who has no base model yet. */
export function howToInstall(info: BaseModelInfo): string {
  return (
    `Run \`pictor models fetch\` to download it (${(info.download.bytes / 1e6).toFixed(1)} MB), or, offline, ` +
    `\`pictor models import FILE\` with ${info.download.fileName} (from ${info.download.url}) or a TF.js layers folder.`
  )
}
