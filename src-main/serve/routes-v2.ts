// KServe v2 / Open Inference Protocol (REST): health, model metadata and readiness, inference and
// the drift report. One input, `image`: BYTES [n] (base64 image files) or FP32 [n, h, w, c] already
// preprocessed; two outputs, `probabilities` FP32 [n, k] and `label` BYTES [n].
import pkg from '../../package.json'
import { badRequest, HttpError } from './http-errors'
import { base64Bytes, flatNumbers, isRecord, parseJson, preprocessAll, requireModel, type Route, type RouteContext } from './route-types'

export const INPUT_NAME = 'image'
const OUTPUT_NAMES = ['probabilities', 'label'] as const

/** Images one request may hold (the batcher's queue holds 8 × max batch). */
export const MAX_IMAGES_PER_REQUEST = 256

const live: Route = { method: 'GET', path: '/v2/health/live', endpoint: 'health', handle: () => ({ json: { live: true } }) }

const ready: Route = {
  method: 'GET',
  path: '/v2/health/ready',
  endpoint: 'health',
  handle: (context) => (context.ready() ? { json: { ready: true } } : { status: 503, json: { ready: false } })
}

const serverMetadata: Route = {
  method: 'GET',
  path: '/v2',
  endpoint: 'metadata',
  handle: () => ({ json: { name: 'pictor', version: pkg.version, extensions: [] } })
}

const modelMetadata: Route = {
  method: 'GET',
  path: '/v2/models/{name}',
  endpoint: 'metadata',
  handle(context, request) {
    requireModel(context, request)
    const { model } = context
    return {
      json: {
        name: model.name,
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: INPUT_NAME, datatype: 'BYTES', shape: [-1] },
          { name: INPUT_NAME, datatype: 'FP32', shape: [-1, ...model.inputShape] }
        ],
        outputs: [
          { name: 'probabilities', datatype: 'FP32', shape: [-1, model.labels.length] },
          { name: 'label', datatype: 'BYTES', shape: [-1] }
        ],
        labels: model.labels,
        preprocessing: model.preprocessing
      }
    }
  }
}

const modelReady: Route = {
  method: 'GET',
  path: '/v2/models/{name}/ready',
  endpoint: 'health',
  handle(context, request) {
    requireModel(context, request)
    const ok = context.ready()
    return { status: ok ? 200 : 503, json: { name: context.model.name, ready: ok } }
  }
}

const infer: Route = {
  method: 'POST',
  path: '/v2/models/{name}/infer',
  endpoint: 'v2_infer',
  body: 'json',
  async handle(context, request) {
    requireModel(context, request)
    const body = parseJson(request)
    if (!isRecord(body)) throw badRequest('the body must be a JSON object {"inputs": [...]}')
    const wanted = requestedOutputs(body.outputs)
    const inputs = await inferInputs(context, body.inputs)
    const answers = await context.classify(inputs)
    const k = context.model.labels.length
    const probabilities = new Array<number>(answers.length * k)
    answers.forEach((answer, row) => answer.probabilities.forEach((value, column) => (probabilities[row * k + column] = value)))
    const outputs = [
      { name: 'probabilities', shape: [answers.length, k], datatype: 'FP32', data: probabilities },
      { name: 'label', shape: [answers.length], datatype: 'BYTES', data: answers.map((answer) => answer.label) }
    ].filter((output) => wanted.includes(output.name))
    return { json: { model_name: context.model.name, model_version: '1', ...(typeof body.id === 'string' ? { id: body.id } : {}), outputs } }
  }
}

const drift: Route = {
  method: 'GET',
  path: '/v2/models/{name}/drift',
  endpoint: 'drift',
  handle(context, request) {
    requireModel(context, request)
    if (!context.drift) throw new HttpError(404, 'NO_DRIFT_REFERENCE', `model "${context.model.name}" has no drift reference (serve a project's run, or an export that has drift-reference.json)`)
    return { json: context.drift.report() }
  }
}

export const V2_ROUTES: Route[] = [live, ready, serverMetadata, modelMetadata, modelReady, infer, drift]

function requestedOutputs(outputs: unknown): string[] {
  if (outputs === undefined) return [...OUTPUT_NAMES]
  if (!Array.isArray(outputs) || outputs.length === 0) throw badRequest('"outputs" must be a non-empty list of {"name": ...}')
  return outputs.map((output) => {
    const name = isRecord(output) ? output.name : undefined
    if (typeof name !== 'string' || !(OUTPUT_NAMES as readonly string[]).includes(name)) {
      throw badRequest(`unknown output ${JSON.stringify(name)}: this model has "probabilities" and "label"`, 'INVALID_OUTPUT_NAME')
    }
    return name
  })
}

/** The one input tensor → preprocessed images. */
async function inferInputs(context: RouteContext, inputs: unknown): Promise<Float32Array[]> {
  if (!Array.isArray(inputs) || inputs.length !== 1 || !isRecord(inputs[0])) {
    throw badRequest(`"inputs" must be a list of exactly one tensor, {"name": "${INPUT_NAME}", "shape": [...], "datatype": "BYTES" or "FP32", "data": [...]}`)
  }
  const input = inputs[0]
  if (input.name !== INPUT_NAME) throw badRequest(`the input is named ${JSON.stringify(input.name)}; this model's input is "${INPUT_NAME}"`, 'INVALID_INPUT_NAME')
  const shape = input.shape
  if (!Array.isArray(shape) || !shape.every((side) => Number.isInteger(side) && (side as number) >= 1)) {
    throw badRequest('"shape" must be a list of positive whole numbers', 'INVALID_SHAPE')
  }
  const count = shape[0] as number
  if (count > MAX_IMAGES_PER_REQUEST) throw new HttpError(413, 'TOO_MANY_IMAGES', `one request may hold at most ${MAX_IMAGES_PER_REQUEST} images, got ${count}`)
  const [height, width, channels] = context.model.inputShape
  if (input.datatype === 'BYTES') {
    if (shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) throw badRequest(`a BYTES "${INPUT_NAME}" has shape [n] (one image file each), got [${shape.join(', ')}]`, 'INVALID_SHAPE')
    const data = Array.isArray(input.data) ? input.data.flat(2) : null
    if (!data || data.length !== count) throw badRequest(`"data" must hold ${count} base64 image${count === 1 ? '' : 's'} (the shape's n), got ${data?.length ?? 'none'}`, 'INVALID_SHAPE')
    const images = data.map((item, index) => base64Bytes(isRecord(item) && 'b64' in item ? item.b64 : item, `image ${index}`))
    return preprocessAll(context.model, images, (index) => `image ${index}`)
  }
  if (input.datatype === 'FP32') {
    const expected = [count, height, width, channels]
    if (shape.length !== 4 || shape.some((side, index) => side !== expected[index])) {
      throw badRequest(`an FP32 "${INPUT_NAME}" has shape [n, ${height}, ${width}, ${channels}] (NHWC, preprocessed), got [${shape.join(', ')}]`, 'INVALID_SHAPE')
    }
    const size = height * width * channels
    const values = flatNumbers(input.data, count * size, '"data"')
    return Array.from({ length: count }, (_, index) => values.slice(index * size, (index + 1) * size))
  }
  throw badRequest(`"datatype" must be "BYTES" (base64 image files) or "FP32" (preprocessed), got ${JSON.stringify(input.datatype)}`, 'INVALID_DATATYPE')
}
