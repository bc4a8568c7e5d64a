import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'

// PLACEHOLDER: being built; replace this file.
type Methods = 'suggestions.compute' | 'suggestions.summary' | 'suggestions.accept'

const notBuiltYet = () => {
  throw new AppError('UNSUPPORTED', 'not built yet')
}

export function suggestionHandlers(_context: ServiceContext): Pick<Handlers, Methods> {
  return {
    'suggestions.compute': notBuiltYet,
    'suggestions.summary': notBuiltYet,
    'suggestions.accept': notBuiltYet,
  }
}
