/** What a key press means in the Label view; null for keys it leaves alone. */
export type LabelCommand =
  | { kind: 'label'; hotkey: string }
  | { kind: 'unlabel' }
  | { kind: 'move'; delta: number }
  | { kind: 'row'; direction: 1 | -1 }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'detail' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'select-all' }
  | { kind: 'escape' }
  | { kind: 'help' }
  | { kind: 'accept' }

export function commandFor(event: KeyboardEvent): LabelCommand | null {
  const mod = event.ctrlKey || event.metaKey
  const key = event.key
  if (mod && !event.altKey) {
    const lower = key.toLowerCase()
    if (lower === 'z') return event.shiftKey ? { kind: 'redo' } : { kind: 'undo' }
    if (lower === 'y') return { kind: 'redo' }
    if (lower === 'a') return { kind: 'select-all' }
    return null
  }
  if (event.altKey) return null
  switch (key) {
    case 'ArrowRight':
      return { kind: 'move', delta: 1 }
    case 'ArrowLeft':
      return { kind: 'move', delta: -1 }
    case 'ArrowDown':
      return { kind: 'row', direction: 1 }
    case 'ArrowUp':
      return { kind: 'row', direction: -1 }
    case 'Home':
      return { kind: 'first' }
    case 'End':
      return { kind: 'last' }
    case ' ':
      return { kind: 'detail' }
    case 'Escape':
      return { kind: 'escape' }
    case '?':
      return { kind: 'help' }
    case 'Enter':
      return { kind: 'accept' }
    case '0':
    case 'Backspace':
    case 'Delete':
      return { kind: 'unlabel' }
  }
  if (/^[1-9a-y]$/.test(key)) return { kind: 'label', hotkey: key }
  return null
}

/** Typing in a field must never label images. */
export function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null
  return !!element && (element.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(element.tagName))
}
