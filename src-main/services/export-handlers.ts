import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'

// PLACEHOLDER: being built; replace this file.
type Methods = 'export.run'

const notBuiltYet = () => {
  throw new AppError('UNSUPPORTED', 'not built yet')
}

export function exportHandlers(_context: ServiceContext): Pick<Handlers, Methods> {
  return {
    'export.run': notBuiltYet,
  }
}
