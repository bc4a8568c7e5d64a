// Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy, 2015): x_adv = clip(x + ε·sign(∇ₓ loss)).
// How far one small, worst-case nudge of every pixel moves a model's accuracy — a quick probe of
// how brittle it is, not a guarantee of robustness.
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'

/** The perturbation sizes a robustness report measures, in pixel units (0–255 scaled to [0, 1]). */
export const EPSILONS: readonly number[] = [0, 1 / 255, 2 / 255, 4 / 255, 8 / 255]

/** How model inputs relate to pixels (RunClassifier.inputScale / inputRange). */
export interface InputUnits {
  /** Model-input units per unit of pixel intensity on a 0–1 scale: 1 for x/255, 2 for x/127.5 − 1. */
  inputScale: number
  /** The range valid inputs span; perturbed inputs are clipped back into it. */
  inputRange: readonly [number, number]
}

/**
 * Summed cross-entropy −ln p(label) of a probability-output model. Summed, not averaged, so one
 * image's gradient does not depend on the batch it came in (only the sign is used anyway). A tiny
 * floor instead of clipping keeps the gradient alive for confident predictions, where clipping at
 * 1 − 1e-7 would zero it.
 */
export function labelLoss(model: tfl.LayersModel, xs: tf.Tensor4D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const probabilities = model.apply(xs, { training: false }) as tf.Tensor2D
    return tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.add(probabilities, 1e-30))))) as tf.Scalar
  })
}

/** sign(∇ₓ loss) for a batch: where each input value should move to hurt the model most. */
export function gradientSign(model: tfl.LayersModel, xs: tf.Tensor4D, oneHot: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const gradient = tf.grad((x: tf.Tensor) => labelLoss(model, x as tf.Tensor4D, oneHot))(xs)
    return tf.sign(gradient) as tf.Tensor4D
  })
}

/** x + ε·sign in model-input units (ε is in pixel units), clipped to the valid input range. */
export function perturb(xs: tf.Tensor4D, sign: tf.Tensor4D, epsilon: number, units: InputUnits): tf.Tensor4D {
  return tf.tidy(() => {
    if (epsilon === 0) return xs.clone()
    const [low, high] = units.inputRange
    return tf.clipByValue(tf.add(xs, tf.mul(sign, epsilon * units.inputScale)), low, high) as tf.Tensor4D
  })
}

export interface FgsmCounts {
  /**
   * Per ε: images still classified correctly under every perturbation tried up to that ε — an
   * attacker with budget ε may use any smaller step, so this is the accuracy an ε budget leaves.
   * Non-increasing by construction; ε = 0 is the plain accuracy.
   */
  robust: number[]
  /** Per ε: images classified correctly at exactly that step (one-step FGSM is not monotone in ε). */
  atStep: number[]
}

/**
 * Correct predictions of one batch at each ε (ascending, starting at 0). The gradient is taken once,
 * at the clean input: FGSM is one step, so every ε moves along the same sign. A larger step is not
 * always a stronger attack — on MobileNetV2 a 1/255 step can hurt more than 8/255, where the
 * linear approximation behind FGSM no longer holds — hence `robust` next to `atStep`.
 */
export function fgsmCorrectCounts(
  model: tfl.LayersModel,
  xs: tf.Tensor4D,
  labels: readonly number[],
  numClasses: number,
  epsilons: readonly number[],
  units: InputUnits
): FgsmCounts {
  for (let i = 1; i < epsilons.length; i++) {
    if (!(epsilons[i]! > epsilons[i - 1]!)) throw new RangeError('epsilons must be ascending')
  }
  const correct = tf.tidy(() => {
    const truth = tf.tensor1d(Int32Array.from(labels), 'int32')
    const oneHot = tf.cast(tf.oneHot(truth, numClasses), 'float32') as tf.Tensor2D
    const sign = gradientSign(model, xs, oneHot)
    return epsilons.map((epsilon) =>
      tf.tidy(() => {
        const adversarial = perturb(xs, sign, epsilon, units)
        const predicted = tf.argMax(model.predict(adversarial) as tf.Tensor2D, -1)
        return tf.equal(predicted, truth).dataSync() as Uint8Array
      })
    )
  })
  const survives = new Uint8Array(labels.length).fill(1)
  const robust: number[] = []
  const atStep: number[] = []
  for (const flags of correct) {
    let still = 0
    let now = 0
    flags.forEach((flag, image) => {
      survives[image] = survives[image]! & (flag ? 1 : 0)
      still += survives[image]!
      now += flag ? 1 : 0
    })
    robust.push(still)
    atStep.push(now)
  }
  return { robust, atStep }
}
