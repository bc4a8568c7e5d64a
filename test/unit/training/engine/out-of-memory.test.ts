import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import { isOutOfMemory } from '../../../../src-main/training/out-of-memory'

// isOutOfMemory decides whether train-job halves the batch and retries: it must know the errors
// the backends really raise when memory runs out, and nothing else.

/** The engine's own class (this tsconfig has no WebAssembly typings). */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly.RuntimeError
const error = (name: string, message: string) => Object.assign(new Error(message), { name })

describe('isOutOfMemory', () => {
  it.each([
    // Emscripten's abort when the wasm heap cannot grow (tfjs-backend-wasm).
    ['wasm abort', new WasmRuntimeError('Aborted(OOM). Build with -sASSERTIONS for more info.')],
    ['wasm heap growth', error('RuntimeError', 'Aborted(Cannot enlarge memory arrays to size 4294971392 bytes (OOM).)')],
    ['wasm memory grow', new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded')],
    ['V8 buffer', new RangeError('Array buffer allocation failed')],
    // tfjs-node (TensorFlow C API) on CPU and CUDA.
    [
      'native OOM',
      new Error(
        'Invalid TF_Status: 8\nMessage: OOM when allocating tensor with shape[256,32,126,126] and type float on /job:localhost/replica:0/task:0/device:GPU:0 by allocator GPU_0_bfc'
      )
    ],
    ['CUDA', new Error('failed to allocate 2.00G (2147483648 bytes) from device: CUDA_ERROR_OUT_OF_MEMORY: out of memory')],
    ['ResourceExhausted', error('ResourceExhaustedError', 'OOM when allocating tensor')],
    ['allocator', new Error('Cannot allocate memory')],
    ['plain string', 'out of memory']
  ])('recognises %s', (_label, thrown) => {
    expect(isOutOfMemory(thrown)).toBe(true)
  })

  it.each([
    ['NaN loss', new Error('the loss became NaN or infinite: lower the learning rate')],
    ['shape mismatch', new Error('Error when checking input: expected conv2d_Conv2D1_input to have shape [null,32,32,3]')],
    ['bad class index', new RangeError('class index 5 is outside 0…1')],
    ['abort', new DOMException('This operation was aborted', 'AbortError')],
    ['a word containing "oom"', new Error('the zoom level of room images is bloomed')],
    ['undefined', undefined],
    ['null', null]
  ])('does not mistake %s for out of memory', (_label, thrown) => {
    expect(isOutOfMemory(thrown)).toBe(false)
  })

  // Regression test for a fixed bug: the wasm backend's real error when a tensor does not fit its 4 GB heap is not recognised.
  // tfjs-backend-wasm's malloc fails and the upload into the heap throws "RangeError: offset is out
  // of bounds"; a batch too big for JavaScript throws "RangeError: Invalid typed array length: N".
  // Neither matches, so train-job fails the run instead of halving the batch and retrying.
  it('recognises the error the wasm backend raises for a tensor beyond its heap', async () => {
    await activateBackend('wasm')
    let thrown: unknown
    try {
      // 4 GiB of float32 (nothing is touched: the allocation fails at once).
      tf.zeros([2 ** 29, 2]).dispose()
    } catch (caught) {
      thrown = caught
    }
    expect(thrown).toBeInstanceOf(RangeError)
    // The backend still works afterwards.
    expect(tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync())).toEqual(new Float32Array([2, 2]))
    expect(isOutOfMemory(thrown)).toBe(true)
    expect(isOutOfMemory(new RangeError('Invalid typed array length: 12884901888'))).toBe(true)
  })
})
