// The wasm backend's Emscripten loader, when it initialises in Node, installs process-level
// 'uncaughtException' and 'unhandledRejection' handlers that rethrow (and so end the process, even with
// --unhandled-rejections=warn) for any error anywhere in the program — not only the backend's own.
// Snapshot the listeners before `tf.setBackend('wasm')` and remove the ones that appeared afterwards:
//
//   const handlers = snapshotProcessHandlers()
//   await tf.setBackend('wasm')
//   handlers.removeAdded()   // returns how many listeners were removed
//
// or `await withoutAddedProcessHandlers(() => tf.setBackend('wasm'))`. After that the application's own
// handlers (if any) decide what an unhandled rejection means.

const EVENTS = ['unhandledRejection', 'uncaughtException'] as const
type Listener = (...args: unknown[]) => void

export interface ProcessHandlerSnapshot {
  /** Removes the 'unhandledRejection'/'uncaughtException' listeners added since the snapshot; returns how many. */
  removeAdded(): number
}

export function snapshotProcessHandlers(): ProcessHandlerSnapshot {
  const emitter: NodeJS.EventEmitter = process
  const before = new Map(EVENTS.map((event) => [event, emitter.listeners(event)]))
  return {
    removeAdded() {
      let removed = 0
      for (const event of EVENTS) {
        const known = before.get(event) ?? []
        for (const listener of emitter.listeners(event)) {
          if (!known.includes(listener)) {
            emitter.removeListener(event, listener as Listener)
            removed++
          }
        }
      }
      return removed
    }
  }
}

/** Runs `init` (e.g. `() => tf.setBackend('wasm')`) and removes the process handlers it installed. Resolves to init's result. */
export async function withoutAddedProcessHandlers<T>(init: () => Promise<T>): Promise<T> {
  const snapshot = snapshotProcessHandlers()
  try {
    return await init()
  } finally {
    snapshot.removeAdded()
  }
}
