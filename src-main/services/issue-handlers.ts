import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'

// PLACEHOLDER: being built; replace this file.
type Methods = 'review.findLabelIssues' | 'review.labelIssues' | 'review.decideIssue' | 'review.checkRobustness' | 'review.robustness'

const notBuiltYet = () => {
  throw new AppError('UNSUPPORTED', 'not built yet')
}

export function issueHandlers(_context: ServiceContext): Pick<Handlers, Methods> {
  return {
    'review.findLabelIssues': notBuiltYet,
    'review.labelIssues': notBuiltYet,
    'review.decideIssue': notBuiltYet,
    'review.checkRobustness': notBuiltYet,
    'review.robustness': notBuiltYet,
  }
}
