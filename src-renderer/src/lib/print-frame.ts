// Prints a page of the app's own origin without showing it: loaded into a hidden frame, printed from
// there. A run's report runs no script of its own (its policy forbids any), but the app, being of
// the same origin, may call print() on the frame's window; the browser then offers "Save as PDF".

let current: HTMLIFrameElement | null = null

/** Loads `url` into a hidden same-origin frame and opens the print dialog for it once it has loaded. */
export function printPage(url: string): Promise<void> {
  current?.remove()
  const frame = document.createElement('iframe')
  current = frame
  frame.title = 'Report to print'
  frame.setAttribute('aria-hidden', 'true')
  frame.tabIndex = -1
  // Out of sight but laid out at a page's size: some engines print a frame that is not displayed blank.
  Object.assign(frame.style, { position: 'fixed', left: '-10000px', top: '0', width: '800px', height: '600px', border: '0' })
  return new Promise((resolve, reject) => {
    frame.addEventListener(
      'load',
      () => {
        try {
          const view = frame.contentWindow
          if (!view) throw new Error('the report could not be loaded for printing')
          view.focus()
          view.print()
          resolve()
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)))
        }
      },
      { once: true }
    )
    frame.src = url
    document.body.append(frame)
  })
}
