import { basename, extname, resolve } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { ProjectSummary } from '../contract/types'
import { AppError } from '../core/errors'
import { closeProjectDatabase, createProjectDatabase, openProjectDatabase } from '../db/connection'
import { schemaVersion } from '../db/migrations'
import { getProject, insertProject } from '../db/queries/project'

export const PROJECT_EXTENSION = '.pictor'
const MAX_NAME_LENGTH = 200

interface OpenProject {
  db: Database
  summary: ProjectSummary
}

/** The project this process has open: at most one, with one writable connection. */
export class ProjectSession {
  #current: OpenProject | null = null

  get summary(): ProjectSummary | null {
    return this.#current?.summary ?? null
  }

  /** The open project's database, or a NO_PROJECT error a user understands. */
  get db(): Database {
    if (!this.#current) throw new AppError('NO_PROJECT', 'no project is open: create or open one first')
    return this.#current.db
  }

  create(path: string, name?: string): ProjectSummary {
    const file = withProjectExtension(resolve(path))
    // The file name is only a default: long ones are cut to the 200 characters a name may have.
    const projectName = name?.trim() || [...basename(file, PROJECT_EXTENSION)].slice(0, MAX_NAME_LENGTH).join('')
    const db = createProjectDatabase(file, (fresh) => insertProject(fresh, { name: projectName, createdAt: Date.now() }))
    return this.#adopt(file, db)
  }

  open(path: string): ProjectSummary {
    const file = resolve(path)
    if (this.#current?.summary.path === file) return this.#current.summary
    return this.#adopt(file, openProjectDatabase(file))
  }

  close(): void {
    if (!this.#current) return
    const { db } = this.#current
    this.#current = null
    closeProjectDatabase(db)
  }

  #adopt(path: string, db: Database): ProjectSummary {
    const row = getProject(db)
    if (!row) {
      db.close()
      throw new AppError('NOT_A_PROJECT', `${path} has no project record; it may be damaged`)
    }
    this.close()
    const summary = { path, name: row.name, createdAt: row.createdAt, schemaVersion: schemaVersion(db) }
    this.#current = { db, summary }
    return summary
  }
}

export function withProjectExtension(path: string): string {
  return extname(path).toLowerCase() === PROJECT_EXTENSION ? path : `${path}${PROJECT_EXTENSION}`
}
