import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'

// PLACEHOLDER: being built; replace this file.
type Methods = 'review.evaluate' | 'review.evaluation' | 'review.cell' | 'review.topLoss'

const notBuiltYet = () => {
  throw new AppError('UNSUPPORTED', 'not built yet')
}

export function reviewHandlers(_context: ServiceContext): Pick<Handlers, Methods> {
  return {
    'review.evaluate': notBuiltYet,
    'review.evaluation': notBuiltYet,
    'review.cell': notBuiltYet,
    'review.topLoss': notBuiltYet,
  }
}
