/** Where a native dialog opens, and which files it offers. */
export interface PickOptions {
  /** The folder to start in (the one last chosen for the same purpose). */
  defaultPath?: string
  /** File dialogs: the extensions offered, without the dot. */
  extensions?: readonly string[]
}

/** A save dialog: where it opens, which files it offers, and the name it suggests. */
export interface SaveOptions extends PickOptions {
  name?: string
}

/** Native file dialogs, provided by the Electron shell; absent in browser mode and the CLI. */
export interface DialogProvider {
  pickProjectToOpen(options?: PickOptions): Promise<string | null>
  pickProjectToCreate(options?: PickOptions): Promise<string | null>
  pickFolder(options?: PickOptions): Promise<string | null>
  pickFile(options?: PickOptions): Promise<string | null>
  /** A new file's path (a save dialog), or null when cancelled. */
  pickFileToSave(options?: SaveOptions): Promise<string | null>
}
