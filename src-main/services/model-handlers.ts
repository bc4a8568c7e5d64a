import type { BaseModelStatus } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { BaseModelStore } from '../models/base-model-store'
import type { ServiceContext } from './context'

type ModelMethods = 'models.list' | 'models.import' | 'models.fetch'

export function modelHandlers({ modelsDir, jobs, events }: ServiceContext): Pick<Handlers, ModelMethods> {
  const store = new BaseModelStore(modelsDir)
  // The install record (source) stays on this side: the UI needs to know what is there, not whence.
  const list = async (): Promise<BaseModelStatus[]> => (await store.list()).map(({ source: _source, ...status }) => status)
  return {
    'models.list': list,
    'models.import': async ({ path, force }) => {
      await store.import(path, { force })
      events.emit('library.changed', { reason: 'base model installed' })
      return list()
    },
    'models.fetch': () => {
      if (jobs.isRunning('model-fetch')) throw new AppError('BUSY', 'the base model is already being downloaded')
      const { jobId, done } = jobs.start('model-fetch', ({ signal, onProgress }) =>
        store.fetch(undefined, {
          signal,
          // The app's own Import field sits under the Download button: no command line needed.
          howToImport: 'choose that file with Browse… under Download and press Import',
          onProgress: (progress) =>
            onProgress({ done: progress.done, total: progress.total, message: `${progress.phase}…` })
        })
      )
      done.then(
        () => events.emit('library.changed', { reason: 'base model installed' }),
        () => {}
      )
      return { jobId }
    }
  }
}
