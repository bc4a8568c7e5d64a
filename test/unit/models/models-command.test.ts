import { spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { COMMANDS } from '../../../src-main/cli/commands'
import { modelsCommand } from '../../../src-main/cli/models-command'
import { CliFailure, UsageError } from '../../../src-main/cli/output'
import { needSharedModel, SHARED_NO_TOP } from '../../helpers/base-models'
import { useTempDir } from '../../helpers/temp-dir'

// `pictor models`, run as the command object (in-process, output captured) and through the real
// `pictor` bin, where it must be registered.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const temp = useTempDir('pictor-models-')
let stdout: string[] = []
let stderr: string[] = []
let savedModelsDir: string | undefined

beforeEach(() => {
  stdout = []
  stderr = []
  savedModelsDir = process.env.PICTOR_MODELS_DIR
  process.env.PICTOR_MODELS_DIR = join(temp(), 'models')
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(`${parts.join(' ')}\n`))
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0)
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0)
})

afterEach(() => {
  vi.restoreAllMocks()
  if (savedModelsDir === undefined) delete process.env.PICTOR_MODELS_DIR
  else process.env.PICTOR_MODELS_DIR = savedModelsDir
})

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const code = await modelsCommand.run(args)
  return { code, out: stdout.join('') }
}

describe('pictor models (command object)', () => {
  it('lists an empty models folder as not installed, as JSON and as text', async () => {
    const json = await run(['list', '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toMatchObject({
      dir: join(temp(), 'models'),
      models: [{ id: 'mobilenet_v2_1.0_224', installed: false, version: null }]
    })
    stdout = []
    const text = await run([])
    expect(text.out).toContain('mobilenet_v2_1.0_224  not installed')
    expect(text.out).toContain('pictor models fetch')
  })

  it('imports the shared TF.js folder, with progress on stderr, then lists it as installed', async (context) => {
    needSharedModel(context)
    const imported = await run(['import', SHARED_NO_TOP, '--json'])
    expect(imported.code).toBe(0)
    const result = JSON.parse(imported.out)
    expect(result).toMatchObject({ id: 'mobilenet_v2_1.0_224', source: { kind: 'tfjs', location: SHARED_NO_TOP } })
    expect(stderr.join('')).toMatch(/reading .*100%/)
    expect(stderr.join('')).toContain('checking')

    stdout = []
    const listed = JSON.parse((await run(['list', '--json'])).out)
    expect(listed.models[0]).toMatchObject({ installed: true, version: result.version, bytes: 9_031_936 })

    stdout = []
    await expect(run(['import', SHARED_NO_TOP])).rejects.toThrow(/ALREADY_EXISTS: .*--force/)
    expect((await run(['import', SHARED_NO_TOP, '--force'])).out).toContain(`Installed mobilenet_v2_1.0_224 (${result.version})`)
  })

  it('turns store errors into one CODE: message line and usage mistakes into usage errors', async () => {
    await expect(run(['import', join(temp(), 'missing.h5')])).rejects.toThrow(CliFailure)
    await expect(run(['import', join(temp(), 'missing.h5')])).rejects.toThrow(/^NOT_FOUND: /)
    await expect(run(['import'])).rejects.toThrow(UsageError)
    await expect(run(['frobnicate'])).rejects.toThrow(UsageError)
    await expect(run(['list', '--url', 'http://127.0.0.1:1/x'])).rejects.toThrow(UsageError)
  })

  it('reports a failed fetch with the offline alternative (loopback only)', async () => {
    // A loopback port that was just closed: the connection is refused at once.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise((resolve) => server.close(resolve))
    await expect(run(['fetch', '--url', `http://127.0.0.1:${port}/weights.h5`])).rejects.toThrow(
      /^IO_ERROR: Could not download from 127\.0\.0\.1:\d+: the connection was refused\. .*`pictor models import FILE`/
    )
  })
})

describe('pictor models (the real bin)', () => {
  function pictor(args: string[], modelsDir: string) {
    return spawnSync(process.execPath, [join(ROOT, 'bin', 'pictor.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, PICTOR_DATA_DIR: temp(), PICTOR_MODELS_DIR: modelsDir },
      timeout: 180_000
    })
  }

  it('is one of the commands the bin knows', () => {
    expect(COMMANDS).toContain(modelsCommand)
  })

  it('lists, imports, and lists again', async (context) => {
    needSharedModel(context)
    vi.restoreAllMocks()
    const models = join(temp(), 'models')
    const empty = pictor(['models', 'list', '--json'], models)
    expect(empty.status, empty.stderr).toBe(0)
    expect(JSON.parse(empty.stdout).models[0]).toMatchObject({ installed: false })

    const imported = pictor(['models', 'import', SHARED_NO_TOP], models)
    expect(imported.status, imported.stderr).toBe(0)
    const listed = pictor(['models', 'list', '--json'], models)
    expect(JSON.parse(listed.stdout).models[0]).toMatchObject({ installed: true, bytes: 9_031_936 })
  }, 200_000)
})
