import type { MethodName } from './methods'

/**
 * The methods that change the open project (directly or through the job they start). On a project
 * opened read-only they are refused with READ_ONLY before anything starts; a write missed here still
 * fails as READ_ONLY when it reaches SQLite, just later (a job would start, then fail).
 */
export const PROJECT_WRITES: ReadonlySet<MethodName> = new Set<MethodName>([
  'labels.assign',
  'labels.undo',
  'labels.redo',
  'classes.create',
  'classes.update',
  'classes.merge',
  'classes.delete',
  'splits.assign',
  'splits.setRatios',
  'splits.apply',
  'splits.undo',
  'images.setSplit',
  'import.start',
  'train.start',
  'train.resume',
  'runs.delete',
  'runs.import',
  'review.evaluate',
  'review.findLabelIssues',
  'review.decideIssue',
  'review.checkRobustness',
  'review.rememberRun',
  'suggestions.compute',
  'suggestions.accept'
])
