import type { JobProgress } from '../contract/types'
import type { Services } from '../services/services'

/** What a command's start call answers: at least the id of the job it started. */
export interface StartedJob {
  jobId: string
}

/**
 * Runs one job from the command line: Ctrl+C (or SIGTERM) cancels that job, and only that one,
 * cleanly instead of killing the process mid-write; its progress goes to `onProgress`; the answer
 * is its last state (with its result, for jobs that publish one).
 */
export async function runCliJob<S extends StartedJob>(
  services: Services,
  start: () => Promise<S>,
  onProgress: (progress: JobProgress) => void
): Promise<{ started: S; outcome: JobProgress }> {
  const interrupt = new AbortController()
  const cancel = () => interrupt.abort()
  process.once('SIGINT', cancel)
  process.once('SIGTERM', cancel)
  try {
    return await followJob(services, start, onProgress, interrupt.signal)
  } finally {
    process.off('SIGINT', cancel)
    process.off('SIGTERM', cancel)
  }
}

/**
 * Starts a job and follows it by its id until it ends, whatever other jobs the same process runs
 * or finishes meanwhile. `stop` aborting cancels this job. Events that arrive before the start call
 * answers are kept: a quick job can report, or even end, before its id is known.
 */
export async function followJob<S extends StartedJob>(
  services: Services,
  start: () => Promise<S>,
  onProgress: (progress: JobProgress) => void,
  stop: AbortSignal
): Promise<{ started: S; outcome: JobProgress }> {
  const early: JobProgress[] = []
  let jobId: string | null = null
  let finish: (outcome: JobProgress) => void = () => {}
  const ended = new Promise<JobProgress>((resolve) => (finish = resolve))
  const take = (progress: JobProgress) => {
    onProgress(progress)
    if (progress.state !== 'running') finish(progress)
  }
  const unsubscribe = services.events.subscribe((event) => {
    if (event.name !== 'job.progress') return
    const progress = event.payload as JobProgress
    if (jobId === null) early.push(progress)
    else if (progress.jobId === jobId) take(progress)
  })
  const cancel = () => {
    if (jobId !== null) void services.call('jobs.cancel', { jobId })
  }
  try {
    const started = await start()
    jobId = started.jobId
    for (const progress of early.splice(0)) if (progress.jobId === jobId) take(progress)
    if (stop.aborted) cancel()
    else stop.addEventListener('abort', cancel, { once: true })
    return { started, outcome: await ended }
  } finally {
    unsubscribe()
    stop.removeEventListener('abort', cancel)
  }
}
