// The training data layer in one import. Everything here is backend-independent; only
// to-tensors.ts touches tfjs, and only through the namespace the caller passes in.
export { loadTrainingExamples, type TrainingClass, type TrainingExample, type TrainingExamples } from '../../db/queries/training-data'
export * from './augment'
export * from './batches'
export * from './decode'
export * from './example-cache'
export * from './preview'
export * from './sampler'
export * from './to-tensors'
