import { z } from 'zod'

/** Settings with the defaults a first run should use; the contract and the CLI both parse with this. */
export const trainSettingsSchema = z
  .object({
    /** 'mobilenetv2': frozen ImageNet features, cached per image, and a small trained head. */
    model: z.enum(['cnn', 'mobilenetv2']).default('cnn'),
    epochs: z.number().int().min(1).max(1000).default(10),
    batchSize: z.number().int().min(1).max(4096).default(64),
    learningRate: z.number().positive().max(10).default(0.001),
    optimizer: z.enum(['adam', 'sgd']).default('adam'),
    momentum: z.number().min(0).max(0.999).default(0.9),
    imageSize: z.number().int().min(18).max(512).default(32),
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    augment: z.boolean().default(false),
    batchNorm: z.boolean().default(false),
    dropout: z.number().min(0).max(0.9).default(0),
    classWeights: z.boolean().default(false),
    oversample: z.boolean().default(false),
    patience: z.number().int().min(0).max(1000).default(0),
    backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).nullable().default(null),
    seed: z.number().int().min(0).max(2 ** 31).default(1)
  })
  .strict()
