import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { ESLint } from 'eslint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pictorLintConfig } from '../../../lint/eslint-config.js'
import { FLOORS, SIBLING_BANS, floorZones } from '../../../lint/floors.js'

// The lint step's own rules, run on small files laid out like the repository in a temporary folder
// (outside the repository, so neither the real lint run, tsc nor the build ever sees them), with
// copies of the real tsconfig files so that the @contract alias resolves the way it does in the app.

const repoRoot = resolve(import.meta.dirname, '../../..')
const FLOOR_RULE = 'import-x/no-restricted-paths'
const CYCLE_RULE = 'import-x/no-cycle'

const fixtures: Record<string, string> = {
  'src-main/contract/types.ts': 'export type ImageId = number\nexport const FIRST_IMAGE_ID: ImageId = 1\n',
  'src-main/db/connection.ts': 'export const openConnection = (): string => "db"\n',
  'src-main/services/services.ts': 'export const services = (): string => "services"\n',
  'src-main/review/metrics.ts': 'export const accuracy = (): number => 1\n',
  // Two modules on one floor (allowed by the floors) that import each other.
  'src-main/core/cycle-first.ts': "import { second } from './cycle-second'\nexport const first = (): string => second()\n",
  'src-main/core/cycle-second.ts': "import { first } from './cycle-first'\nexport const second = (): string => typeof first\n",
  // Two components that import each other, one of them through a rune state module.
  'src-renderer/src/components/CycleOuter.svelte':
    '<script lang="ts">\n  import { inner } from \'../lib/cycle-state.svelte\'\n  let count: number = $state(inner.count)\n</script>\n\n<p>{count}</p>\n',
  'src-renderer/src/lib/cycle-state.svelte.ts':
    "import CycleInner from '../components/CycleInner.svelte'\nexport const inner = $state({ count: 1, component: CycleInner })\n",
  'src-renderer/src/components/CycleInner.svelte':
    '<script module lang="ts">\n  export const LIMIT: number = 3\n</script>\n\n<script lang="ts">\n  import CycleOuter from \'./CycleOuter.svelte\'\n</script>\n\n<CycleOuter />\n'
}

let root: string
let eslint: ESLint

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pictor-lint-'))
  for (const config of ['tsconfig.json', 'tsconfig.web.json', 'tsconfig.node.json']) copyFileSync(join(repoRoot, config), join(root, config))
  for (const [path, text] of Object.entries(fixtures)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: pictorLintConfig(root) })
})

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true })
})

/** The rule ids ESLint reports for `code` placed at `path` (the file itself need not exist). */
async function ruleIdsFor(path: string, code: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) })
  return result!.messages.map((message) => message.ruleId)
}

describe('the floors', () => {
  it('stop a renderer file importing main code by a relative path', async () => {
    const code = "import { openConnection } from '../../../src-main/db/connection'\nexport const open = openConnection\n"
    expect(await ruleIdsFor('src-renderer/src/lib/some-state.ts', code)).toEqual([FLOOR_RULE])
  })

  it('stop a renderer component importing main code', async () => {
    const code = "<script lang=\"ts\">\n  import { openConnection } from '../../../src-main/db/connection'\n  openConnection()\n</script>\n"
    expect(await ruleIdsFor('src-renderer/src/views/SomeView.svelte', code)).toEqual([FLOOR_RULE])
  })

  it('let the renderer import the contract through @contract', async () => {
    // The value import must resolve (import-x/no-unresolved), so this passes only if the alias is understood.
    const code = "import type { ImageId } from '@contract/types'\nimport { FIRST_IMAGE_ID } from '@contract/types'\nexport const first: ImageId = FIRST_IMAGE_ID\n"
    expect(await ruleIdsFor('src-renderer/src/lib/some-state.ts', code)).toEqual([])
  })

  it('stop a lower floor importing a higher one', async () => {
    const code = "import { services } from '../services/services'\nexport const all = services\n"
    expect(await ruleIdsFor('src-main/db/some-query.ts', code)).toEqual([FLOOR_RULE])
  })

  it('count type-only imports too', async () => {
    const code = "import type { services } from '../services/services'\nexport type All = typeof services\n"
    expect(await ruleIdsFor('src-main/db/some-query.ts', code)).toEqual([FLOOR_RULE])
  })

  it('follow worker paths imported with ?modulePath', async () => {
    const code = "import metricsPath from '../review/metrics?modulePath'\nexport const path = metricsPath\n"
    expect(await ruleIdsFor('src-main/db/some-query.ts', code)).toEqual([FLOOR_RULE])
  })

  it('keep export and review apart although they share a floor', async () => {
    const code = "import { accuracy } from '../review/metrics'\nexport const score = accuracy\n"
    expect(await ruleIdsFor('src-main/export/some-export.ts', code)).toEqual([FLOOR_RULE])
  })

  it('let a higher floor import a lower one', async () => {
    const code = "import { openConnection } from '../db/connection'\nexport const open = openConnection\n"
    expect(await ruleIdsFor('src-main/review/some-report.ts', code)).toEqual([])
  })

  it('fail an import that cannot be resolved, which the floor rule could not judge', async () => {
    const code = "import { services } from '../services/no-such-module'\nexport const all = services\n"
    expect(await ruleIdsFor('src-main/db/some-query.ts', code)).toEqual(['import-x/no-unresolved'])
  })
})

describe('import circles', () => {
  it('are reported on both modules of the circle', async () => {
    const results = await eslint.lintFiles(['src-main/core/cycle-first.ts', 'src-main/core/cycle-second.ts'])
    expect(results.map((result) => result.messages.map((message) => message.ruleId))).toEqual([[CYCLE_RULE], [CYCLE_RULE]])
  })

  it('are followed through components and rune state modules', async () => {
    const files = ['src-renderer/src/components/CycleOuter.svelte', 'src-renderer/src/lib/cycle-state.svelte.ts', 'src-renderer/src/components/CycleInner.svelte']
    const results = await eslint.lintFiles(files)
    expect(results.map((result) => result.messages.map((message) => message.ruleId))).toEqual([[CYCLE_RULE], [CYCLE_RULE], [CYCLE_RULE]])
  })
})

describe('the floor table', () => {
  it('lists every folder of src-main once', () => {
    const listed = FLOORS.flatMap((floor) => floor.folders)
    expect(new Set(listed).size).toBe(listed.length)
    const folders = readdirSync(join(repoRoot, 'src-main'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
    expect(folders.filter((folder) => !listed.includes(folder))).toEqual([])
  })

  it('bans only folders it lists', () => {
    const listed = FLOORS.flatMap((floor) => floor.folders)
    expect(SIBLING_BANS.flat().filter((folder) => !listed.includes(folder))).toEqual([])
  })

  it('is what the repository lint step runs', async () => {
    const real = new ESLint({ cwd: repoRoot })
    const config = await real.calculateConfigForFile(join(repoRoot, 'src-main/db/connection.ts'))
    expect(config?.rules?.[FLOOR_RULE]).toEqual([2, { basePath: repoRoot, zones: floorZones() }])
  })
})
