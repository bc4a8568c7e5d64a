import type { JobProgress, LabelChange, ProjectSummary } from './types'
import type { ServeEvent } from './serve'

// Push events from main to renderer. Same names and payloads on both transports.
export interface EventMap {
  'project.changed': ProjectSummary | null
  'library.changed': { reason: string }
  'job.progress': JobProgress
  /**
   * Labels or classes changed; carries what moved (undo/redo, count deltas, classes), so a view
   * applies it without asking again. The same change (same changeId) answers the call that made it.
   */
  'labels.changed': LabelChange
  /** The app's model server (Monitor view): its figures about once a second while it runs, and once when it stops. */
  'serve.stats': ServeEvent
}

export type EventName = keyof EventMap

export interface PushEvent<E extends EventName = EventName> {
  name: E
  payload: EventMap[E]
}

export const EVENT_NAMES: readonly EventName[] = ['project.changed', 'library.changed', 'job.progress', 'labels.changed', 'serve.stats']
