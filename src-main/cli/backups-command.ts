import { parseArgs } from 'node:util'
import type { BackupInfo } from '../contract/types'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { cliPath, printJson, unwrap, UsageError } from './output'

/** `pictor backups list|restore`: the consistent copies Pictor keeps of a project (README: Backups). */
export const backupsCommand: Command = {
  name: 'backups',
  usage: 'pictor backups list --project FILE [--json] | pictor backups restore --project FILE [ID] [--json]',
  summary: "list a project's backups, or put one in its place (the file it replaces is kept aside)",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { project: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    const [action = 'list', ...rest] = positionals
    if (!values.project) throw new UsageError('backups needs --project FILE')
    if (action !== 'list' && action !== 'restore') throw new UsageError(`unknown backups action "${action}" (list, restore)`)
    if (rest.length > (action === 'restore' ? 1 : 0)) throw new UsageError(`backups ${action} takes ${action === 'restore' ? 'at most one backup id' : 'no other arguments'}`)
    const path = cliPath(values.project)
    const services = cliServices()
    try {
      if (action === 'list') {
        const backups = unwrap(await services.call('backups.list', { path }))
        if (values.json) printJson(backups)
        else printList(path, backups)
        return 0
      }
      const result = unwrap(await services.call('backups.restore', { path, ...(rest[0] ? { id: rest[0] } : {}) }))
      if (values.json) printJson(result)
      else {
        console.log(`Restored ${result.path} from backup ${result.restored.id} (${describe(result.restored)})`)
        if (result.keptAside) console.log(`The file it replaced is kept as ${result.keptAside}`)
      }
      return 0
    } finally {
      services.close()
    }
  }
}

function describe(backup: BackupInfo): string {
  const when = new Date(backup.createdAt).toLocaleString()
  return `${when}, ${backup.reason === 'migration' ? 'after an upgrade' : 'regular'}, schema v${backup.schemaVersion}, ${(backup.bytes / 1_048_576).toFixed(1)} MB`
}

function printList(path: string, backups: BackupInfo[]): void {
  if (backups.length === 0) {
    console.log(`Pictor has no backup of ${path} yet: one is made after an upgrade and at most once per hour of work.`)
    return
  }
  console.log(`Backups of ${path}, newest first:`)
  for (const backup of backups) console.log(`  ${backup.id}  ${backup.reason.padEnd(9)}  ${describe(backup)}`)
}
