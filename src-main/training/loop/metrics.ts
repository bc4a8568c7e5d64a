import * as tf from '@tensorflow/tfjs-core'

const EPSILON = 1e-7

/**
 * Categorical cross-entropy on probabilities (the model ends in softmax), averaged over the batch,
 * each sample scaled by its weight when class weights are on (Keras' class_weight semantics).
 */
export function crossEntropy(probabilities: tf.Tensor, oneHot: tf.Tensor, sampleWeights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const perSample = tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probabilities, EPSILON, 1 - EPSILON))), -1))
    return tf.mean(sampleWeights ? tf.mul(perSample, sampleWeights) : perSample) as tf.Scalar
  })
}

/** How many rows' argmax matches the label. */
export function correctCount(probabilities: tf.Tensor, labels: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(probabilities, -1), tf.argMax(labels, -1)), 'int32')).dataSync()[0]!)
}
