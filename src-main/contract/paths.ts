import { z } from 'zod'
import { isAbsolutePath, longestNameBytes, MAX_NAME_BYTES, SYSTEM_FOLDERS, systemFolderOf } from './path-rules'

// Every file or folder path the contract takes is one of these. A path reaches the services from a
// renderer or a script, never from a shell, so there is no "current folder" it could be relative to:
// a relative path would land wherever the app happened to be started (issue 13 found x.pictor in the
// app's install folder). The CLI resolves what its user typed against the shell's folder before it
// calls the contract. The rules here are lexical, so the renderer can run them too; the dispatcher
// adds the checks that need the file system (symbolic links into /dev, devices: core/system-paths.ts).

const pathSchemas = new WeakSet<z.ZodType>()

/** True for the schemas made by absolutePath: the dispatcher finds every path field with it. */
export function isPathSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && pathSchemas.has(schema as z.ZodType)
}

/** An absolute path to a file or folder of the user's, e.g. absolutePath('a project path'). */
export function absolutePath(what: string): z.ZodString {
  const schema = z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(4096, 'the path is too long')
    .refine((path) => !path.includes('\0'), 'the path contains a NUL character')
    .refine(isAbsolutePath, `${what} must be an absolute path (such as /home/me/flowers.pictor or C:\\Users\\me\\flowers.pictor), not relative to a folder`)
    .refine((path) => longestNameBytes(path) <= MAX_NAME_BYTES, `a name in the path is too long (over ${MAX_NAME_BYTES} bytes)`)
    .refine((path) => systemFolderOf(path) === null, `${what} may not lie in ${SYSTEM_FOLDERS.join(', ')}: those hold devices and system settings, not files`)
  pathSchemas.add(schema)
  return schema
}

/** Control characters (NUL, tabs, line breaks, escape codes) and the marks that reverse text direction. */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u

/** A name a person gives something (a project, a class): printable, 1 to `max` characters. */
export function displayName(required: string, max: number): z.ZodString {
  return z
    .string()
    .trim()
    .min(1, required)
    .max(max, `a name has at most ${max} characters`)
    .refine((name) => !UNPRINTABLE.test(name), 'a name may not contain control characters (tabs, line breaks, NUL, escape codes)')
}
