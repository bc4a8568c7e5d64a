export type ViewId = 'library' | 'label' | 'balance' | 'train' | 'review' | 'export' | 'predict' | 'monitor'

export interface ViewDescriptor {
  id: ViewId
  title: string
  /** Ctrl/Cmd + this digit switches to the view. */
  shortcut: string
  /** What the view will offer, shown while it has nothing to show. */
  emptyHint: string
}

export const VIEWS: readonly ViewDescriptor[] = [
  { id: 'library', title: 'Library', shortcut: '1', emptyHint: 'Import a folder of images to start.' },
  { id: 'label', title: 'Label', shortcut: '2', emptyHint: 'Label images with one key per class.' },
  { id: 'balance', title: 'Balance', shortcut: '3', emptyHint: 'See how many images each class has, per split.' },
  { id: 'train', title: 'Train', shortcut: '4', emptyHint: 'Fine-tune MobileNetV2 or train a small CNN in one click.' },
  { id: 'review', title: 'Review', shortcut: '5', emptyHint: 'Study the confusion matrix and fix mislabeled images.' },
  { id: 'export', title: 'Export', shortcut: '6', emptyHint: 'Export a trained model as ONNX or TF.js, or the labeled images as a dataset.' },
  { id: 'predict', title: 'Predict', shortcut: '7', emptyHint: 'Predict every image of a folder with a run or an exported model.' },
  { id: 'monitor', title: 'Monitor', shortcut: '8', emptyHint: "Serve a run's model over HTTP and watch its requests, latency and drift." }
]
