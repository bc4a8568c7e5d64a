// Augmentation for stage 2, which trains on cached activations and so cannot flip images: half of each
// training batch has its block-14 input mirrored left–right instead. ImageNet training mirrored its
// images, so the backbone's activations of a mirrored image are close to (not exactly) the mirrored
// activations of the image; as a regulariser that is what counts. Measured on CIFAR-10 together with
// stage 2's dropout and learning rate (README "MobileNetV2 in one click"). Seeded per epoch, so a
// resumed run sees the same batches.
import * as tf from '@tensorflow/tfjs-core'
import { createRandom, mixSeed } from '../../training/data/random'
import type { TensorBatch } from '../../training/loop/train-loop'

export async function* mirrorHalf(batches: AsyncIterable<TensorBatch>, seed: number, epoch: number): AsyncGenerator<TensorBatch> {
  const random = createRandom(mixSeed(seed, epoch, 0x6d69))
  for await (const batch of batches) {
    const flips = Float32Array.from({ length: batch.size }, () => (random() < 0.5 ? 1 : 0))
    let xs: tf.Tensor4D
    try {
      // [n, h, w, c]: axis 2 is the width.
      xs = tf.tidy(() => {
        const mask = tf.tensor4d(flips, [batch.size, 1, 1, 1])
        return tf.add(tf.mul(tf.reverse(batch.xs, 2), mask), tf.mul(batch.xs, tf.sub(1, mask))) as tf.Tensor4D
      })
    } finally {
      batch.xs.dispose()
    }
    yield { ...batch, xs }
  }
}
