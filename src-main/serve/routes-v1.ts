// TF Serving's REST API (`/v1/models/{name}:predict` in the row format, `/v1/models/{name}` status),
// `POST /predict` with an image file as the whole body (for `curl --data-binary @cat.jpg`), and
// `GET /metrics` for Prometheus.
import { badRequest, HttpError } from './http-errors'
import { base64Bytes, flatNumbers, isRecord, parseJson, preprocessAll, requireModel, type Classified, type Route, type RouteContext } from './route-types'
import { MAX_IMAGES_PER_REQUEST } from './routes-v2'

const status: Route = {
  method: 'GET',
  path: '/v1/models/{name}',
  endpoint: 'metadata',
  handle(context, request) {
    requireModel(context, request)
    const state = context.ready() ? 'AVAILABLE' : 'UNLOADING'
    return { json: { model_version_status: [{ version: '1', state, status: { error_code: 'OK', error_message: '' } }] } }
  }
}

const predictV1: Route = {
  method: 'POST',
  path: '/v1/models/{name}:predict',
  endpoint: 'v1_predict',
  body: 'json',
  async handle(context, request) {
    requireModel(context, request)
    const body = parseJson(request)
    const instances = isRecord(body) ? body.instances : undefined
    if (!Array.isArray(instances) || instances.length === 0) {
      throw badRequest('the body must be {"instances": [{"b64": "<base64 image>"}, ...]}', 'INVALID_SHAPE')
    }
    if (instances.length > MAX_IMAGES_PER_REQUEST) throw new HttpError(413, 'TOO_MANY_IMAGES', `one request may hold at most ${MAX_IMAGES_PER_REQUEST} instances, got ${instances.length}`)
    const inputs = await instanceInputs(context, instances)
    return { json: { predictions: (await context.classify(inputs)).map(prediction) } }
  }
}

const predictRaw: Route = {
  method: 'POST',
  path: '/predict',
  endpoint: 'predict',
  body: 'bytes',
  async handle(context, request) {
    if (request.body.length === 0) throw badRequest('the body is empty: send the image file itself (curl --data-binary @photo.jpg)', 'EMPTY_BODY')
    const [input] = await preprocessAll(context.model, [request.body], () => 'the body')
    const [answer] = await context.classify([input!])
    return { json: { model_name: context.model.name, ...prediction(answer!) } }
  }
}

const metrics: Route = {
  method: 'GET',
  path: '/metrics',
  endpoint: 'metrics',
  async handle(context) {
    if (!context.metricsText) throw new HttpError(503, 'METRICS_DISABLED', 'this server collects no metrics')
    context.sampleDrift()
    return { text: await context.metricsText(), contentType: 'text/plain; version=0.0.4; charset=utf-8' }
  }
}

export const V1_ROUTES: Route[] = [status, predictV1, predictRaw, metrics]

/** The labels in the model's order, as TF Serving's row format answers a classifier. */
function prediction(answer: Classified) {
  return { label: answer.label, confidence: answer.confidence, probabilities: Array.from(answer.probabilities) }
}

/**
 * Each instance is an image file, {"b64": "..."} (or {"image": {"b64": "..."}}, TF Serving's named
 * form), or an already preprocessed [h][w][c] array of numbers.
 */
async function instanceInputs(context: RouteContext, instances: unknown[]): Promise<Float32Array[]> {
  const files = instances.map((instance) => {
    const named = isRecord(instance) && isRecord(instance.image) ? instance.image : instance
    return isRecord(named) ? named : null
  })
  if (files.every((file) => file !== null)) {
    const images = files.map((file, index) => {
      if (!('b64' in file!)) throw badRequest(`instance ${index} has no "b64" field`, 'INVALID_SHAPE')
      return base64Bytes(file!.b64, `instance ${index}`)
    })
    return preprocessAll(context.model, images, (index) => `instance ${index}`)
  }
  const [height, width, channels] = context.model.inputShape
  return instances.map((instance, index) => {
    if (!Array.isArray(instance)) throw badRequest(`instance ${index} must be {"b64": "..."} or a [${height}][${width}][${channels}] array`, 'INVALID_DATATYPE')
    return flatNumbers(instance, height * width * channels, `instance ${index}`)
  })
}
