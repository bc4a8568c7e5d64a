// A MobileNetV2 run's whole classifier: the frozen backbone + pooling (FeatureExtractor.model) with
// the trained head applied on top, as one layers model for inference, FGSM and export.
import * as tfl from '@tensorflow/tfjs-layers'

/**
 * One model from image to probabilities: the extractor's backbone + pooling followed by the trained
 * head, for inference and export. Its input is what preprocessForMobileNet produces. It shares (does
 * not copy) both parts' weights and holds every layer of both: disposing it releases them all.
 */
export function assembleClassifier(features: tfl.LayersModel, head: tfl.LayersModel): tfl.LayersModel {
  const probabilities = head.apply(features.outputs[0]!) as tfl.SymbolicTensor
  return tfl.model({ inputs: features.inputs, outputs: probabilities, name: 'mobilenetv2_classifier' })
}
