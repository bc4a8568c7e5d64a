// Identity for the wasm backend without a copy. The stock wasm Identity allocates a new buffer and copies
// the data; the cpu backend (and the wasm Reshape) instead hand back the same data with its reference
// count raised, which is safe because no wasm kernel writes into its inputs. The training step reaches
// Identity ~40 times (tfjs-layers and the gradient tape clone tensors): ~4 ms of a ~200 ms seed CNN step.
// String tensors go to the stock kernel.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'

interface RefCountingBackend {
  incRef(dataId: object): void
}

/** The replacement Identity kernel; `stock` handles string tensors. */
export function identityWasmConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x!
    const backend = args.backend as unknown as Partial<RefCountingBackend>
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') return stock.kernelFunc(args)
    backend.incRef(x.dataId)
    const out: TensorInfo = { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
    return out
  }
  return { ...stock, kernelFunc }
}
