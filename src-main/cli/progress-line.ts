// Progress of a long CLI command on stderr, and Ctrl+C as a cancel: what `pictor dataset export` and
// `pictor bundle` share.
import type { JobContext, ProgressUpdate } from '../jobs/job'

/** Quiet for a quick job; after a second, one line a second (rewritten in place on a terminal). */
export function progressPrinter(): { update: (update: ProgressUpdate) => void; end: () => void } {
  const started = Date.now()
  let last = 0
  let open = false
  const tty = process.stderr.isTTY === true
  return {
    update({ done, total, message }) {
      const now = Date.now()
      if (now - started < 1000 || now - last < 1000) return
      last = now
      const line = `${message} ${done}${total === null ? '' : ` of ${total}`}`
      process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`)
      open = tty
    },
    end() {
      if (open) process.stderr.write('\n')
      open = false
    }
  }
}

/** An AbortSignal that SIGINT/SIGTERM abort (saying so), and the function that stops listening. */
export function cancelOnSignals(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController()
  const stop = () => {
    process.stderr.write('Cancelling…\n')
    controller.abort()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}

/** Runs a job from the command line: progress on stderr, Ctrl+C/SIGTERM cancel, the line closed before its answer prints. */
export async function runWithProgress<T>(work: (context: JobContext) => Promise<T>): Promise<T> {
  const cancel = cancelOnSignals()
  const progress = progressPrinter()
  try {
    return await work({ signal: cancel.signal, onProgress: progress.update })
  } finally {
    progress.end()
    cancel.release()
  }
}
