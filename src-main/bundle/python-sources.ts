// The Python half of a cluster bundle, kept as real .py files beside this one (so they can be read,
// linted and run as they are) and carried into the build as text.
import kerasMobilenet from './python/keras_mobilenet.py?raw'
import bundleData from './python/bundle_data.py?raw'
import bundleExport from './python/bundle_export.py?raw'
import train from './python/train.py?raw'

/** File name in the bundle → contents. */
export const PYTHON_FILES: Readonly<Record<string, string>> = Object.freeze({
  'train.py': train,
  'keras_mobilenet.py': kerasMobilenet,
  'bundle_data.py': bundleData,
  'bundle_export.py': bundleExport
})

/**
 * What train.py imports beyond the standard library. The versions are the oldest it was tested with
 * (Debian 12's CPU PyTorch 1.13); onnx is optional (it adds Pictor's metadata into model.onnx and checks it).
 */
export const REQUIREMENTS = ['torch>=1.13', 'torchvision>=0.14', 'numpy', 'pillow', 'onnx  # optional: metadata inside model.onnx, onnx.checker'].join('\n') + '\n'
