// The README.md written beside an exported model: how to load it and feed it exactly what it was
// trained on, in Python (onnxruntime + Pillow + numpy) or in a browser (TensorFlow.js).
import type { ExportMetadata } from '../classifier/model-metadata'

/** Python literal for a number, at full precision (1/127.5 must not become 0.0078). */
const py = (value: number) => (Number.isInteger(value) ? `${value}.0` : String(value))

export function pythonSnippet(metadata: ExportMetadata, modelPath = 'model.onnx'): string {
  const { width, height, channels } = metadata.input
  const { scale, offset } = metadata.preprocessing
  const mode = channels === 3 ? 'RGB' : 'L'
  return `import json
import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

session = ort.InferenceSession(${JSON.stringify(modelPath)})
labels = json.loads(session.get_modelmeta().custom_metadata_map["labels"])

def preprocess(path):
    image = ImageOps.exif_transpose(Image.open(path))        # EXIF orientation first
    if image.mode in ("RGBA", "LA", "P"):                    # transparency onto white
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    image = image.convert("${mode}").resize((${width}, ${height}), Image.LANCZOS)  # stretch, no crop
    x = np.asarray(image, dtype=np.float32)${channels === 1 ? '[..., None]' : ''}
    return x * np.float32(${py(scale)}) + np.float32(${py(offset)})   # NHWC, ${height}x${width}x${channels}

batch = np.stack([preprocess("photo.jpg")])
probabilities = session.run(["output"], {"input": batch})[0][0]
best = int(probabilities.argmax())
print(labels[best], float(probabilities[best]))
`
}

export function tfjsSnippet(metadata: ExportMetadata, modelUrl = 'model/model.json'): string {
  const { width, height, channels } = metadata.input
  const { scale, offset } = metadata.preprocessing
  return `import * as tf from '@tensorflow/tfjs'

const labels = ${JSON.stringify(metadata.labels)}
const model = await tf.loadLayersModel('${modelUrl}')  // model.json + its .bin shard, served together

function predict(image /* an <img>, <canvas> or ImageBitmap */) {
  return tf.tidy(() => {
    let x = tf.browser.fromPixels(image, ${channels})       // ${channels === 3 ? 'RGB' : 'grey'}, 0–255
    x = tf.image.resizeBilinear(x, [${height}, ${width}])    // Pictor uses lanczos3: tiny differences
    x = x.toFloat().mul(${scale}).add(${offset}).expandDims(0)
    const probabilities = model.predict(x).dataSync()
    const best = probabilities.indexOf(Math.max(...probabilities))
    return { label: labels[best], probability: probabilities[best] }
  })
}
`
}

export function exportReadme(metadata: ExportMetadata): string {
  const { width, height, channels } = metadata.input
  const { scale, offset } = metadata.preprocessing
  const usage =
    metadata.format === 'onnx'
      ? `## Python (onnxruntime)\n\n\`pip install onnxruntime pillow numpy\`, then:\n\n\`\`\`python\n${pythonSnippet(metadata)}\`\`\`\n`
      : `## Browser (TensorFlow.js)\n\nServe this folder (model.json and its .bin file side by side), then:\n\n\`\`\`js\n${tfjsSnippet(metadata)}\`\`\`\n`
  return `# Pictor model: run ${metadata.runId} (${metadata.modelKind})

Exported by Pictor ${metadata.pictorVersion} on ${metadata.createdAt}. Classes, in output order:
${metadata.labels.map((label, index) => `${index}. ${label}`).join('\n')}

- Input \`input\`: float32, NHWC, [batch, ${height}, ${width}, ${channels}].
- Output \`output\`: float32 [batch, ${metadata.labels.length}], class probabilities (softmax), in the order above.
- Preprocessing: ${metadata.preprocessing.description}
  In numbers: \`input = pixel * ${scale} + ${offset}\` for every 0–255 byte.

Feed the model pixels prepared any other way and it will still answer — confidently and wrongly.
\`metadata.json\` holds all of this as data. \`pictor-manifest.json\` lists the files Pictor wrote here,
with their SHA-256: exporting again replaces only those, and only while unchanged; your own files here stay.
${quantizationSection(metadata)}
${usage}`
}

/** For an int8 export: what was quantized, and how its answers compare with the float32 model's. */
function quantizationSection(metadata: ExportMetadata): string {
  const q = metadata.quantization
  if (!q) return ''
  const pct = (value: number) => `${(value * 100).toFixed(1)} %`
  const comparison = q.test
    ? `On this project's ${q.test.images} test images at export time: top-1 accuracy float32 ${pct(q.test.float32Top1)}, int8 ${pct(q.test.int8Top1)} ` +
      `(${q.test.int8Top1 >= q.test.float32Top1 ? '+' : '−'}${(Math.abs(q.test.int8Top1 - q.test.float32Top1) * 100).toFixed(1)} points); ` +
      `the two models gave the same top class for ${pct(q.test.agreement)} of them.`
    : 'The project had no labeled test images at export time, so int8 was not compared with float32.'
  return `
## int8

This model is quantized to int8 (${q.method}): ${(q.int8Bytes / 1e6).toFixed(1)} MB instead of ${(q.float32Bytes / 1e6).toFixed(1)} MB
(${(q.int8Bytes / q.float32Bytes).toFixed(2)}×). Its input and output are float32 as above; inside, QuantizeLinear /
DequantizeLinear pairs mark the int8 parts, which ONNX Runtime (and other QDQ-aware runtimes) run as int8 kernels.
${comparison}
Expect small differences in probabilities; check it on your own images before relying on it.
`
}
