// The frozen backbone + pooling on ONNX Runtime: one session using every core (intra-op threads),
// where TF.js on wasm needs one worker thread per core to do the same. The ONNX graph is exported
// once from the very TF.js model FeatureExtractor builds (same weights, same ops), cached in the data
// folder's cache as `features-<weights hash>[-<spec>].onnx` (never beside the base model: its folder may be
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
import { withMetadataProps } from '../../onnx/onnx-inspect'
import { baseModelVersion, locateBaseModel } from './base-model'
import { FeatureExtractor } from './feature-extractor'
import { DEFAULT_FEATURE_SPEC, featureCacheKey, featureLength, isDefaultSpec, specSuffix, type FeatureSpec } from './feature-spec'

/** Metadata keys that tie a cached graph to the exact backbone weights and exporter that built it. */
const VERSION_KEY = 'base_model_version'
const EXPORTER_KEY = 'pictor_exporter_version'
const SPEC_KEY = 'pictor_feature_spec'

/** `<cacheDir>/features-<first 16 hex of the weights hash>[-<spec>].onnx` (no suffix for the default spec). */
export function featureGraphPath(cacheDir: string, version: string, spec: FeatureSpec = DEFAULT_FEATURE_SPEC): string {
  const hash = version.split('@sha256:')[1]?.slice(0, 16) ?? 'unknown'
  return join(cacheDir, `features-${hash}${isDefaultSpec(spec) ? '' : `-${specSuffix(spec)}`}.onnx`)
}

/**
 * Turns the float32 graph of a spec into its int8 one (static QDQ quantization, calibrated on the
 * project's images). Given by the caller that has images to calibrate on; see onnx/quantize.
 */
export type GraphQuantizer = (floatGraph: Uint8Array, spec: FeatureSpec) => Promise<Uint8Array>

// Graphs built in this process that have no file (no cache folder given, or one that is not
// writable), by feature cache key: a second extraction in the same process does not rebuild.
const inMemory = new Map<string, Uint8Array>()

export interface OnnxExtractorOptions {
  /** Intra-op threads; default one per core. */
  threads?: number
  /**
   * Let idle intra-op threads spin (OnnxModelOptions.spinning). Default off: extraction decodes the
   * next batches on the same cores while the backbone runs (see extract-in-thread.ts).
   */
  spinning?: boolean
  /** Where built graphs are kept between runs (the data folder's cache); none: this process only. */
  cacheDir?: string | null
  /** Input size, boundary and precision; default 224, pooled, float32. */
  spec?: FeatureSpec
  /** Needed for an int8 spec whose graph is not cached yet. */
  quantize?: GraphQuantizer
}

export class OnnxFeatureExtractor {
  readonly engine = 'onnxruntime'

  private constructor(
    private readonly session: OnnxModel,
    readonly version: string,
    readonly spec: FeatureSpec,
    /** Whether the graph was rebuilt by this load (a cold start), for reports. */
    readonly rebuilt: boolean
  ) {}

  /** The key features from this extractor are cached under. */
  get cacheKey(): string {
    return featureCacheKey(this.version, this.spec)
  }

  static async load(modelsDir: string, options: OnnxExtractorOptions = {}): Promise<OnnxFeatureExtractor> {
    const spec = options.spec ?? DEFAULT_FEATURE_SPEC
    const modelJsonPath = await locateBaseModel(modelsDir)
    const version = await baseModelVersion(modelJsonPath)
    const key = featureCacheKey(version, spec)
    const threads = options.threads ?? availableParallelism()
    const cachePath = options.cacheDir ? featureGraphPath(options.cacheDir, version, spec) : null
    const cached = inMemory.get(key) ?? (cachePath ? await readValidGraph(cachePath, version, spec) : null)
    if (cached) {
      try {
        return new OnnxFeatureExtractor(await OnnxModel.create(cached, { threads, spinning: options.spinning ?? false }), version, spec, false)
      } catch {
        // A file that passes the metadata check but not ONNX Runtime's: rebuild it below.
      }
    }
    const bytes = await buildGraph(modelJsonPath, version, spec, options.quantize)
    inMemory.delete(key)
    try {
      if (!cachePath) throw new Error('no cache folder')
      await mkdir(options.cacheDir!, { recursive: true })
      await writeFileAtomic(cachePath, bytes)
    } catch {
      inMemory.set(key, bytes)
    }
    return new OnnxFeatureExtractor(await OnnxModel.create(bytes, { threads, spinning: options.spinning ?? false }), version, spec, true)
  }

  /** Same contract as FeatureExtractor.extract: the spec's features per preprocessed s×s×3 image, in order. */
  async extract(images: readonly Float32Array[]): Promise<Float32Array[]> {
    if (images.length === 0) return []
    const size = this.spec.inputSize
    const values = size * size * 3
    const input = new Float32Array(images.length * values)
    images.forEach((image, index) => {
      if (image.length !== values) throw new RangeError(`image ${index} has ${image.length} values, expected ${values}`)
      input.set(image, index * values)
    })
    const output = await this.session.run(input, [images.length, size, size, 3])
    const length = featureLength(this.spec)
    if (output.length !== images.length * length) throw new Error(`the feature graph answered ${output.length} values for ${images.length} images`)
    return images.map((_, index) => output.slice(index * length, (index + 1) * length))
  }

  dispose(): void {
    void this.session.dispose()
  }
}

/** The cached graph when it exists and was built from these weights for this spec; null otherwise (missing, damaged, stale). */
async function readValidGraph(path: string, version: string, spec: FeatureSpec): Promise<Uint8Array | null> {
  try {
    const bytes = new Uint8Array(await readFile(path))
    const metadata = readOnnxMetadata(bytes)
    return metadata[VERSION_KEY] === version && metadata[EXPORTER_KEY] === EXPORTER_VERSION && (metadata[SPEC_KEY] ?? specSuffix(DEFAULT_FEATURE_SPEC)) === specSuffix(spec)
      ? bytes
      : null
  } catch {
    return null
  }
}

/** Backbone up to the spec's boundary from the TF.js layers files, as ONNX; quantized for an int8 spec. */
async function buildGraph(modelJsonPath: string, version: string, spec: FeatureSpec, quantize: GraphQuantizer | undefined): Promise<Uint8Array> {
  if (spec.precision === 'int8' && !quantize) throw new Error('an int8 feature graph needs images to calibrate on, and none were given')
  const extractor = await FeatureExtractor.fromModelJson(modelJsonPath, { spec: { ...spec, precision: 'float32' } })
  let floatGraph: Uint8Array
  try {
    if (extractor.version !== version) throw new Error(`the base model changed while building its ONNX graph (${extractor.version})`)
    floatGraph = exportLayersModelToOnnx(extractor.model, {
      metadata: { [VERSION_KEY]: version, [EXPORTER_KEY]: EXPORTER_VERSION, [SPEC_KEY]: specSuffix({ ...spec, precision: 'float32' }) },
      graphName: 'pictor_features',
      docString: `MobileNetV2 backbone to ${spec.boundary} at ${spec.inputSize} px, ${version}`
    })
  } finally {
    extractor.dispose()
  }
  if (spec.precision === 'float32') return floatGraph
  // Whatever the quantizer kept of the metadata, the file must say it is the int8 graph of this spec.
  return withMetadataProps(await quantize!(floatGraph, spec), { [VERSION_KEY]: version, [EXPORTER_KEY]: EXPORTER_VERSION, [SPEC_KEY]: specSuffix(spec) })
}
