// The frozen backbone + pooling on ONNX Runtime: one session using every core (intra-op threads),
// where TF.js on wasm needs one worker thread per core to do the same. The ONNX graph is exported
// once from the very TF.js model FeatureExtractor builds (same weights, same ops), cached in the data
// folder's cache as `features-<weights hash>.onnx` (never beside the base model: its folder may be
// one Pictor did not create, read-only or shared), and rebuilt when missing or damaged.
//
// Features from this engine and from TF.js agree to about 1e-4 (a test checks it), far below what a
// head trained on them can notice, so both share one cache key (the base model version): a project
// whose features were extracted with one engine never re-extracts them with the other.
import { availableParallelism } from 'node:os'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../core/atomic-write'
import { OnnxModel } from '../onnx-runtime'
import { EXPORTER_VERSION, exportLayersModelToOnnx, readOnnxMetadata } from '../../onnx/export-onnx'
import { FEATURE_SIZE, INPUT_SIZE, baseModelVersion, locateBaseModel } from './base-model'
import { FeatureExtractor } from './feature-extractor'
import { MOBILENET_INPUT_VALUES } from './mobilenet-preprocess'

/** Metadata keys that tie a cached graph to the exact backbone weights and exporter that built it. */
const VERSION_KEY = 'base_model_version'
const EXPORTER_KEY = 'pictor_exporter_version'

/** `<cacheDir>/features-<first 16 hex of the weights hash>.onnx`. */
export function featureGraphPath(cacheDir: string, version: string): string {
  const hash = version.split('@sha256:')[1]?.slice(0, 16) ?? 'unknown'
  return join(cacheDir, `features-${hash}.onnx`)
}

// Graphs built in this process that have no file (no cache folder given, or one that is not
// writable), by weights version: a second extraction in the same process does not rebuild.
const inMemory = new Map<string, Uint8Array>()

export interface OnnxExtractorOptions {
  /** Intra-op threads; default one per core. */
  threads?: number
  /** Where built graphs are kept between runs (the data folder's cache); none: this process only. */
  cacheDir?: string | null
}

export class OnnxFeatureExtractor {
  readonly engine = 'onnxruntime'

  private constructor(
    private readonly session: OnnxModel,
    readonly version: string,
    /** Whether the graph was rebuilt by this load (a cold start), for reports. */
    readonly rebuilt: boolean
  ) {}

  static async load(modelsDir: string, options: OnnxExtractorOptions = {}): Promise<OnnxFeatureExtractor> {
    const modelJsonPath = await locateBaseModel(modelsDir)
    const version = await baseModelVersion(modelJsonPath)
    const threads = options.threads ?? availableParallelism()
    const cachePath = options.cacheDir ? featureGraphPath(options.cacheDir, version) : null
    const cached = inMemory.get(version) ?? (cachePath ? await readValidGraph(cachePath, version) : null)
    if (cached) {
      try {
        return new OnnxFeatureExtractor(await OnnxModel.create(cached, { threads }), version, false)
      } catch {
        // A file that passes the metadata check but not ONNX Runtime's: rebuild it below.
      }
    }
    const bytes = await buildGraph(modelJsonPath, version)
    inMemory.delete(version)
    try {
      if (!cachePath) throw new Error('no cache folder')
      await mkdir(options.cacheDir!, { recursive: true })
      await writeFileAtomic(cachePath, bytes)
    } catch {
      inMemory.set(version, bytes)
    }
    return new OnnxFeatureExtractor(await OnnxModel.create(bytes, { threads }), version, true)
  }

  /** Same contract as FeatureExtractor.extract: 1280 floats per preprocessed 224×224×3 image, in order. */
  async extract(images: readonly Float32Array[]): Promise<Float32Array[]> {
    if (images.length === 0) return []
    const input = new Float32Array(images.length * MOBILENET_INPUT_VALUES)
    images.forEach((image, index) => {
      if (image.length !== MOBILENET_INPUT_VALUES) throw new RangeError(`image ${index} has ${image.length} values, expected ${MOBILENET_INPUT_VALUES}`)
      input.set(image, index * MOBILENET_INPUT_VALUES)
    })
    const output = await this.session.run(input, [images.length, INPUT_SIZE, INPUT_SIZE, 3])
    if (output.length !== images.length * FEATURE_SIZE) throw new Error(`the feature graph answered ${output.length} values for ${images.length} images`)
    return images.map((_, index) => output.slice(index * FEATURE_SIZE, (index + 1) * FEATURE_SIZE))
  }

  dispose(): void {
    void this.session.dispose()
  }
}

/** The cached graph when it exists and was built from these weights; null otherwise (missing, damaged, stale). */
async function readValidGraph(path: string, version: string): Promise<Uint8Array | null> {
  try {
    const bytes = new Uint8Array(await readFile(path))
    const metadata = readOnnxMetadata(bytes)
    return metadata[VERSION_KEY] === version && metadata[EXPORTER_KEY] === EXPORTER_VERSION ? bytes : null
  } catch {
    return null
  }
}

/** Backbone + GlobalAveragePooling2D from the TF.js layers files, as ONNX. */
async function buildGraph(modelJsonPath: string, version: string): Promise<Uint8Array> {
  const extractor = await FeatureExtractor.fromModelJson(modelJsonPath)
  try {
    if (extractor.version !== version) throw new Error(`the base model changed while building its ONNX graph (${extractor.version})`)
    return exportLayersModelToOnnx(extractor.model, {
      metadata: { [VERSION_KEY]: version, [EXPORTER_KEY]: EXPORTER_VERSION },
      graphName: 'pictor_features',
      docString: `MobileNetV2 backbone + global average pooling, ${version}`
    })
  } finally {
    extractor.dispose()
  }
}
