// The in-process reference of `npm run bench:serve`: the exported model.onnx on onnxruntime-node called
// directly, with the same session settings the product uses (T intra-op threads, one inter-op, all graph
// optimisations), at the server's batch sizes. Two figures per batch size:
//   model only   — preprocessed tensors, one session.run per batch (what the server cannot beat);
//   end to end   — each image's bytes decoded with sharp as the export's metadata says (EXIF orientation,
//                  white background, RGB, fill-resize with lanczos3, byte*scale+offset) on libuv's pool,
//                  the next batch decoding while the model runs, as a server that batches can (at batch 1,
//                  one image after the other: one closed-loop client has nothing to overlap either).
// The serving overhead is the server's throughput against "end to end" (it does the same work plus
// HTTP, JSON and batching).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type * as Ort from 'onnxruntime-node'
import sharp from 'sharp'
import type { ExportMetadata } from '../../src-main/classifier/model-metadata'

export interface ReferenceFigure {
  batch: number
  imagesPerSecond: number
  /** Seconds per batch: median over the timed batches. */
  medianBatchSeconds: number
}

export interface ReferenceModel {
  metadata: ExportMetadata
  threads: number
  decode(bytes: Buffer): Promise<Float32Array>
  modelOnly(batch: number, input: Float32Array, images: number): Promise<ReferenceFigure>
  endToEnd(batch: number, bytes: Buffer, images: number): Promise<ReferenceFigure>
  release(): Promise<void>
}

export async function loadReference(exportDir: string, threads: number): Promise<ReferenceModel> {
  const ort = (await import('onnxruntime-node')) as typeof Ort
  const metadata = JSON.parse(await readFile(join(exportDir, 'metadata.json'), 'utf8')) as ExportMetadata
  const session = await ort.InferenceSession.create(await readFile(join(exportDir, 'model.onnx')), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all'
  })
  const { height, width, channels } = metadata.input
  const { scale, offset } = metadata.preprocessing
  const perImage = height * width * channels
  const inputName = session.inputNames[0]!

  async function decode(bytes: Buffer): Promise<Float32Array> {
    let image = sharp(bytes, { failOn: 'error' }).rotate().flatten({ background: metadata.preprocessing.alphaBackground })
    image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb')
    const { data } = await image.resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true })
    if (data.length !== perImage) throw new Error(`decoded ${data.length} bytes, expected ${perImage}`)
    const out = new Float32Array(perImage)
    for (let i = 0; i < perImage; i++) out[i] = data[i]! * scale + offset
    return out
  }

  async function run(batch: number, input: Float32Array): Promise<void> {
    const tensor = new ort.Tensor('float32', input, [batch, height, width, channels])
    const results = await session.run({ [inputName]: tensor })
    const output = Object.values(results)[0]!
    if (output.dims[0] !== batch) throw new Error(`the model answered ${output.dims[0]} rows for a batch of ${batch}`)
    for (const value of Object.values(results)) value.dispose()
    tensor.dispose()
  }

  const stack = (parts: Float32Array[]) => {
    const input = new Float32Array(parts.length * perImage)
    parts.forEach((part, i) => input.set(part, i * perImage))
    return input
  }
  /** At least 3 timed batches and `images` images, after one warm-up batch. */
  const batchesFor = (batch: number, images: number) => Math.max(3, Math.ceil(images / batch))

  return {
    metadata,
    threads,
    decode,
    async modelOnly(batch, one, images) {
      const input = stack(Array.from({ length: batch }, () => one))
      await run(batch, input)
      const times: number[] = []
      const started = performance.now()
      for (let b = 0; b < batchesFor(batch, images); b++) {
        const t0 = performance.now()
        await run(batch, input)
        times.push((performance.now() - t0) / 1000)
      }
      return figure(batch, times, performance.now() - started)
    },
    async endToEnd(batch, bytes, images) {
      const decodeBatch = async () => stack(await Promise.all(Array.from({ length: batch }, () => decode(bytes))))
      await run(batch, await decodeBatch())
      const count = batchesFor(batch, images)
      const times: number[] = []
      const started = performance.now()
      let next = decodeBatch()
      for (let b = 0; b < count; b++) {
        const t0 = performance.now()
        const input = await next
        if (batch > 1 && b + 1 < count) next = decodeBatch()
        await run(batch, input)
        if (batch === 1 && b + 1 < count) next = decodeBatch()
        times.push((performance.now() - t0) / 1000)
      }
      return figure(batch, times, performance.now() - started)
    },
    release: () => session.release()
  }
}

function figure(batch: number, times: number[], wallMs: number): ReferenceFigure {
  const sorted = [...times].sort((a, b) => a - b)
  return { batch, imagesPerSecond: (batch * times.length) / (wallMs / 1000), medianBatchSeconds: sorted[sorted.length >> 1]! }
}
