import { IMPORTED_MODEL_KIND } from '@contract/run-import'

/** A run's model kind as run lists show it: its stored name ('cnn', 'mobilenetv2'), but an imported model says so. */
export function runKindLabel(kind: string): string {
  return kind === IMPORTED_MODEL_KIND ? 'imported ONNX' : kind
}

/** The same in words, for a single run's title (Export, Predict): MobileNetV2, CNN, imported ONNX. */
export function modelKindName(kind: string): string {
  if (kind === 'mobilenetv2') return 'MobileNetV2'
  if (kind === 'cnn') return 'CNN'
  return runKindLabel(kind)
}

/** A model brought in from elsewhere (pictor runs import): Pictor has its ONNX graph, not its training. */
export const isImportedModel = (kind: string): boolean => kind === IMPORTED_MODEL_KIND

/** Runs that can be trained again with the same settings: not a model brought in from elsewhere. */
export const retrainable = (kind: string): boolean => !isImportedModel(kind)
