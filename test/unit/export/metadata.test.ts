import { describe, expect, it } from 'vitest'
import { buildMetadata, metadataFromOnnxProps, onnxMetadataProps, parseMetadata } from '../../../src-main/classifier/model-metadata'
import { exportReadme, pythonSnippet, tfjsSnippet } from '../../../src-main/export/export-readme'
import { csvField, csvHeader, csvRow } from '../../../src-main/export/prediction-csv'
import { rank } from '../../../src-main/export/predict-folder'
import { scaleTable } from '../../../src-main/classifier/predictors'
import { scalePixels } from '../../../src-main/classifier/features/mobilenet-preprocess'

// The plain-data parts of export and predict: metadata for each model kind, its round trip through
// the ONNX metadata_props, the README code, CSV quoting and ranking.

const grey = buildMetadata({ runId: 3, kind: 'cnn', classNames: ['cat', 'dog', 'owl'], inputShape: [28, 28, 1], baseModelVersion: null }, 'onnx', '1.2.3', new Date(0))
const mobile = buildMetadata(
  { runId: 4, kind: 'mobilenetv2', classNames: ['a', 'b'], inputShape: [224, 224, 3], baseModelVersion: 'mobilenet_v2_1.0_224_no_top@sha256:ab' },
  'tfjs',
  '1.2.3'
)

describe('export metadata', () => {
  it('describes a greyscale CNN: one channel, x / 255, and Python code that adds the channel axis', () => {
    expect(grey).toMatchObject({ input: { height: 28, width: 28, channels: 1 }, preprocessing: { colorOrder: 'L', scale: 1 / 255, offset: 0 }, createdAt: '1970-01-01T00:00:00.000Z' })
    const python = pythonSnippet(grey, '/models/my "best"/model.onnx')
    expect(python).toContain('image.convert("L").resize((28, 28), Image.LANCZOS)')
    expect(python).toContain('x = np.asarray(image, dtype=np.float32)[..., None]')
    expect(python).toContain('ort.InferenceSession("/models/my \\"best\\"/model.onnx")')
    expect(exportReadme(grey)).toContain('0. cat\n1. dog\n2. owl')
  })

  it("describes MobileNetV2's x / 127.5 − 1 so that scale and offset reproduce our preprocessing exactly", () => {
    expect(mobile.preprocessing).toMatchObject({ colorOrder: 'RGB', scale: 1 / 127.5, offset: -1 })
    const bytes = Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => i % 256)
    const ours = scalePixels(bytes)
    const table = scaleTable(mobile.preprocessing.scale, mobile.preprocessing.offset)
    let worst = 0
    bytes.forEach((byte, i) => (worst = Math.max(worst, Math.abs(table[byte]! - ours[i]!))))
    expect(worst).toBeLessThan(1e-6)
    expect(tfjsSnippet(mobile)).toContain('.mul(0.00784313725490196).add(-1)')
  })

  it('round-trips through the ONNX metadata_props and refuses damaged or foreign metadata', () => {
    const props = onnxMetadataProps(mobile)
    expect(props).toMatchObject({ run_id: '4', model_kind: 'mobilenetv2', base_model_version: 'mobilenet_v2_1.0_224_no_top@sha256:ab', labels: '["a","b"]' })
    expect(metadataFromOnnxProps(props)).toEqual(mobile)
    expect(metadataFromOnnxProps({ labels: '["x","y"]' })).toBeNull()
    expect(parseMetadata({ format: 'onnx' })).toBeNull()
    expect(() => parseMetadata({ ...mobile, labels: ['only one'] })).toThrow(/damaged \(labels\)/)
    expect(() => metadataFromOnnxProps({ pictor_metadata: '{not json' })).toThrow(/damaged/)
  })
})

describe('prediction rows', () => {
  it('rank lists the best classes first, ties in output order', () => {
    expect(rank(Float32Array.from([0.2, 0.5, 0.3]), ['a', 'b', 'c'], 2).map((entry) => entry.label)).toEqual(['b', 'c'])
    expect(rank(Float32Array.from([0.5, 0.5]), ['a', 'b'], 2).map((entry) => entry.label)).toEqual(['a', 'b'])
  })

  it('CSV quotes what needs quoting and leaves prediction columns empty for an error', () => {
    expect(csvHeader(2)).toBe('path,label,probability,label_2,probability_2,error\n')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvRow({ path: 'x/1.jpg', top: [{ label: 'cat', probability: 0.75 }], error: null }, 2)).toBe('x/1.jpg,cat,0.750000,,,\n')
    expect(csvRow({ path: 'bad, file.png', top: [], error: 'CORRUPT: cut short' }, 1)).toBe('"bad, file.png",,,CORRUPT: cut short\n')
  })
})
