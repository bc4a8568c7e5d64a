import type { JobProgress } from '../contract/types'
import type { Services } from '../services/services'

/**
 * Runs one job from the command line: Ctrl+C (or SIGTERM) cancels it cleanly instead of killing
 * the process mid-write, progress goes to `onProgress`, and the result is the job's last state.
 */
export async function runCliJob(
  services: Services,
  start: () => Promise<void>,
  onProgress: (progress: JobProgress) => void
): Promise<JobProgress> {
  const cancel = () =>
    void services.call('jobs.list', {}).then((jobs) => {
      if (!jobs.ok) return
      for (const job of jobs.value) if (job.state === 'running') void services.call('jobs.cancel', { jobId: job.jobId })
    })
  process.once('SIGINT', cancel)
  process.once('SIGTERM', cancel)
  let unsubscribe = () => {}
  try {
    const finished = new Promise<JobProgress>((resolve) => {
      unsubscribe = services.events.subscribe((event) => {
        if (event.name !== 'job.progress') return
        const progress = event.payload as JobProgress
        onProgress(progress)
        if (progress.state !== 'running') resolve(progress)
      })
    })
    await start()
    return await finished
  } finally {
    unsubscribe()
    process.off('SIGINT', cancel)
    process.off('SIGTERM', cancel)
  }
}
