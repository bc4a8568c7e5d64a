/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { PictorBridge } from '@contract/bridge'

declare global {
  interface Window {
    /** Present only under Electron, exposed by the preload. */
    pictor?: PictorBridge
  }
}
