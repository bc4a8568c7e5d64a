/** Native file dialogs, provided by the Electron shell; absent in browser mode and the CLI. */
export interface DialogProvider {
  pickProjectToOpen(): Promise<string | null>
  pickProjectToCreate(): Promise<string | null>
  pickFolder(): Promise<string | null>
}
