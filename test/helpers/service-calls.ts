import type { ErrorCode } from '../../src-main/contract/envelope'
import type { MethodName, RequestOf, ResponseOf } from '../../src-main/contract/methods'
import type { JobProgress } from '../../src-main/contract/types'
import type { Services } from '../../src-main/services/services'

/**
 * Contract calls on real services, for tests that drive the app's main side without a shell:
 * `call` answers the value (or throws with the error's code), `failureOf` insists on a failure and
 * answers it, `finished` waits for a job's last progress event. `services` is read at each call, so a
 * test file can create its services in beforeAll.
 */
export function serviceCalls(services: () => Services) {
  async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const envelope = await services().call(method, request)
    if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), { code: envelope.error.code })
    return envelope.value
  }

  async function failureOf<M extends MethodName>(method: M, request: RequestOf<M>): Promise<{ code: ErrorCode; message: string }> {
    const envelope = await services().call(method, request)
    if (envelope.ok) throw new Error(`${method} succeeded but should have failed`)
    return envelope.error
  }

  /** Resolves with a job's final progress (done, cancelled or failed). */
  function finished(jobId: string): Promise<JobProgress> {
    return new Promise((resolve) => {
      const unsubscribe = services().events.subscribe((event) => {
        const progress = event.payload as JobProgress
        if (event.name === 'job.progress' && progress.jobId === jobId && progress.state !== 'running') {
          unsubscribe()
          resolve(progress)
        }
      })
    })
  }

  return { call, failureOf, finished }
}
