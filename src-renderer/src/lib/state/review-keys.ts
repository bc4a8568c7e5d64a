import { commandFor, isTyping } from '../label-keys'
import type { ReviewState } from './review-state.svelte'

/** What a key does in the Review view: an action to queue, or null for keys it leaves alone. */
export type ReviewKeyAction = () => Promise<void> | void

/**
 * Over an image grid (a confusion cell, top losses) the keys are the Label view's: class hotkeys,
 * 0/Backspace, arrows, Ctrl+Z, Space for the large view. Over the label-issue list: Enter/y accepts, n/Delete keeps.
 */
export function reviewKeyAction(event: KeyboardEvent, review: ReviewState, columns: number): ReviewKeyAction | null {
  if (typing(event.target) || movingInMatrix(event)) return null
  if (review.tab === 'issues') return issueKey(event, review)
  const gridOpen = review.items.source !== null && (review.tab === 'matrix' || review.tab === 'losses')
  return gridOpen ? gridKey(event, review, columns) : null
}

/** Keys the focused confusion matrix uses itself (to move between cells and open one), not the image grid's. */
const MATRIX_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'Enter', ' '])

function movingInMatrix(event: KeyboardEvent): boolean {
  const target = event.target
  return MATRIX_KEYS.has(event.key) && target instanceof Element && target.closest('[data-review-matrix]') !== null
}

/** A focused checkbox (row %, hide decided) takes no letters or digits: the keys still relabel. */
function typing(target: EventTarget | null): boolean {
  return isTyping(target) && !(target instanceof HTMLInputElement && (target.type === 'checkbox' || target.type === 'radio'))
}

function gridKey(event: KeyboardEvent, review: ReviewState, columns: number): ReviewKeyAction | null {
  const command = commandFor(event)
  const list = review.items
  switch (command?.kind) {
    case 'label':
      return () => review.relabelHotkey(command.hotkey)
    case 'unlabel':
      return () => review.relabel(null)
    case 'move':
      return () => list.move(command.delta)
    case 'row':
      return () => list.move(command.direction * columns)
    case 'first':
      return () => list.moveTo(0)
    case 'last':
      return () => list.moveTo(list.items.length - 1)
    case 'undo':
      return () => review.undo()
    case 'redo':
      return () => review.redo()
    case 'select-all':
      return () => list.selectAll()
    case 'detail':
      return () => review.detail.toggle(list.current)
    case 'escape':
      if (review.detail.open) return () => review.detail.close()
      return () => (list.selection.size > 0 ? list.clearSelection() : review.tab === 'matrix' ? list.close() : undefined)
    default:
      return null
  }
}

function issueKey(event: KeyboardEvent, review: ReviewState): ReviewKeyAction | null {
  const mod = event.ctrlKey || event.metaKey
  if (mod && !event.altKey && event.key.toLowerCase() === 'z') return event.shiftKey ? () => review.redo() : () => review.undo()
  // Enter on a focused button presses that button; it must not also decide an issue.
  if (mod || event.altKey || (event.target as HTMLElement | null)?.tagName === 'BUTTON') return null
  switch (event.key) {
    case 'Enter':
    case 'y':
      return () => review.decideIssue('accept')
    case 'n':
    case 'Delete':
    case 'Backspace':
      return () => review.decideIssue('reject')
    case 'ArrowDown':
    case 'j':
      return () => review.issues.move(1)
    case 'ArrowUp':
    case 'k':
      return () => review.issues.move(-1)
    default:
      return null
  }
}
