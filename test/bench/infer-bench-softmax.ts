// A softmax-regression head for the int8 agreement figures (infer-bench-int8.ts): plain full-batch
// gradient descent with Adam on standardised features, deterministic, in plain TypeScript, so the
// comparison of float32 and int8 features does not depend on TF.js or on the product's head settings.

export interface SoftmaxHead {
  weights: Float64Array
  bias: Float64Array
  mean: Float64Array
  scale: Float64Array
  classes: number
}

export function trainSoftmax(features: Float32Array[], labels: number[], classes: number, epochs = 150, learningRate = 0.01, l2 = 1e-3): SoftmaxHead {
  const dims = features[0]!.length
  const mean = new Float64Array(dims)
  const scale = new Float64Array(dims)
  for (const row of features) row.forEach((value, d) => (mean[d]! += value / features.length))
  for (const row of features) row.forEach((value, d) => (scale[d]! += (value - mean[d]!) ** 2 / features.length))
  scale.forEach((variance, d) => (scale[d] = 1 / Math.sqrt(variance + 1e-6)))
  const x = features.map((row) => Float64Array.from(row, (value, d) => (value - mean[d]!) * scale[d]!))
  const head: SoftmaxHead = { weights: new Float64Array(dims * classes), bias: new Float64Array(classes), mean, scale, classes }
  const params = [head.weights, head.bias]
  const m = params.map((p) => new Float64Array(p.length))
  const v = params.map((p) => new Float64Array(p.length))
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const grads = params.map((p) => new Float64Array(p.length))
    x.forEach((row, n) => {
      const p = probabilities(head, row)
      p[labels[n]!]! -= 1
      for (let c = 0; c < classes; c++) {
        const g = p[c]! / x.length
        grads[1]![c]! += g
        for (let d = 0; d < dims; d++) grads[0]![d * classes + c]! += g * row[d]!
      }
    })
    params.forEach((param, i) => {
      for (let k = 0; k < param.length; k++) {
        const g = grads[i]![k]! + (i === 0 ? l2 * param[k]! : 0)
        m[i]![k] = 0.9 * m[i]![k]! + 0.1 * g
        v[i]![k] = 0.999 * v[i]![k]! + 0.001 * g * g
        param[k]! -= (learningRate * (m[i]![k]! / (1 - 0.9 ** epoch))) / (Math.sqrt(v[i]![k]! / (1 - 0.999 ** epoch)) + 1e-8)
      }
    })
  }
  return head
}

function probabilities(head: SoftmaxHead, row: Float64Array): Float64Array {
  const logits = Float64Array.from(head.bias)
  for (let d = 0; d < row.length; d++) {
    const value = row[d]!
    if (value === 0) continue
    for (let c = 0; c < head.classes; c++) logits[c]! += value * head.weights[d * head.classes + c]!
  }
  const top = Math.max(...logits)
  const exp = logits.map((logit) => Math.exp(logit - top))
  const sum = exp.reduce((a, b) => a + b, 0)
  return exp.map((value) => value / sum)
}

export function top1(head: SoftmaxHead, features: Float32Array[]): number[] {
  return features.map((features) => {
    const row = Float64Array.from(features, (value, d) => (value - head.mean[d]!) * head.scale[d]!)
    const p = probabilities(head, row)
    return p.indexOf(Math.max(...p))
  })
}
