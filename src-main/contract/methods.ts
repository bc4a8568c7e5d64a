import { z } from 'zod'
import type { AppInfo, LibrarySummary, ProjectSummary, RecentProject } from './types'

// The one contract between renderer and main. Each method has a request schema, validated at the
// boundary by the dispatcher, and a response type. Adding a method here makes the compiler demand a
// handler for it (see core/dispatcher.ts) and gives the renderer a typed call.

/** A phantom value that carries a response type through `typeof methods`. */
function returns<T>(): T {
  return undefined as T
}

const empty = z.object({}).strict()

const projectPath = z
  .string()
  .trim()
  .min(1, 'a project path is required')
  .max(4096, 'the path is too long')
  .refine((p) => !p.includes('\0'), 'the path contains a NUL character')

export const methods = {
  'app.info': { request: empty, response: returns<AppInfo>() },

  'project.create': {
    request: z
      .object({
        path: projectPath,
        name: z.string().trim().min(1).max(200).optional()
      })
      .strict(),
    response: returns<ProjectSummary>()
  },
  'project.open': {
    request: z.object({ path: projectPath }).strict(),
    response: returns<ProjectSummary>()
  },
  'project.close': { request: empty, response: returns<null>() },
  'project.current': { request: empty, response: returns<ProjectSummary | null>() },
  'project.recent': { request: empty, response: returns<RecentProject[]>() },
  'project.forgetRecent': {
    request: z.object({ path: projectPath }).strict(),
    response: returns<RecentProject[]>()
  },

  // Native dialogs exist only under Electron; browser mode answers UNSUPPORTED and the UI asks for a path.
  'dialog.pickProjectToOpen': { request: empty, response: returns<string | null>() },
  'dialog.pickProjectToCreate': { request: empty, response: returns<string | null>() },

  'library.summary': { request: empty, response: returns<LibrarySummary>() }
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>
export type ParsedRequestOf<M extends MethodName> = z.output<Methods[M]['request']>
export type ResponseOf<M extends MethodName> = Methods[M]['response']

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name)
}
