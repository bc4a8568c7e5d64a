import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'
import type { DialogProvider, PickOptions } from './dialogs'
import { browseRoots, confinedRealPath, listFolder, type BrowseRoots } from './folder-listing'
import { LastFolders } from './last-folders'

type FileMethods = 'files.list' | 'files.remember' | 'dialog.pickProjectToOpen' | 'dialog.pickProjectToCreate' | 'dialog.pickFolder' | 'dialog.pickFile' | 'dialog.pickFileToSave'

/**
 * Choosing files and folders: native dialogs under Electron, a confined listing for browser mode's
 * folder browser, and the folder last chosen per purpose, which both start from.
 */
export function filesHandlers(context: ServiceContext, dataDir: string): Pick<Handlers, FileMethods> {
  const last = new LastFolders(dataDir)
  const roots = (): BrowseRoots => browseRoots(context.info.defaultProjectFolder)

  const dialogs = (): DialogProvider => {
    if (!context.dialogs) throw new AppError('UNSUPPORTED', 'native dialogs are only available in the desktop app')
    return context.dialogs
  }

  /** The folder of a chosen path: itself, or the folder holding a file (or a file still to be made). */
  const folderOf = async (path: string): Promise<string> => ((await stat(path).catch(() => null))?.isDirectory() ? path : dirname(path))

  const remember = async (purpose: string | undefined, path: string | null): Promise<string | null> => {
    if (purpose && path) await last.remember(purpose, await folderOf(path))
    return path
  }

  /** Where a picker for `purpose` opens: the folder last chosen (or its nearest existing parent), else a default. */
  const startFor = async (purpose: string | undefined): Promise<string> => {
    let remembered = purpose ? await last.get(purpose) : null
    while (remembered) {
      const real = await confinedRealPath(remembered, roots())
      if (real) return real
      const up = dirname(remembered)
      remembered = up === remembered ? null : up
    }
    const projects = purpose === 'project' ? await confinedRealPath(context.info.defaultProjectFolder, roots()) : null
    return projects ?? roots().home
  }

  const pick = async (purpose: string | undefined, show: (options: PickOptions) => Promise<string | null>, extensions?: string[]) => {
    const defaultPath = purpose ? await startFor(purpose) : undefined
    return remember(purpose, await show({ ...(defaultPath ? { defaultPath } : {}), ...(extensions ? { extensions } : {}) }))
  }

  return {
    'files.list': async ({ path, purpose, showHidden, extensions }) =>
      listFolder(path ?? (await startFor(purpose)), roots(), { showHidden, ...(extensions ? { extensions } : {}) }),
    'files.remember': async ({ purpose, path }) => {
      await remember(purpose, path)
      return null
    },
    'dialog.pickProjectToOpen': ({ purpose }) => pick(purpose ?? 'project', (options) => dialogs().pickProjectToOpen(options)),
    'dialog.pickProjectToCreate': ({ purpose }) => pick(purpose ?? 'project', (options) => dialogs().pickProjectToCreate(options)),
    'dialog.pickFolder': ({ purpose }) => pick(purpose, (options) => dialogs().pickFolder(options)),
    'dialog.pickFile': ({ purpose, extensions }) => pick(purpose, (options) => dialogs().pickFile(options), extensions),
    'dialog.pickFileToSave': ({ purpose, name, extensions }) =>
      pick(purpose, (options) => dialogs().pickFileToSave({ ...options, ...(name ? { name } : {}) }), extensions)
  }
}
