import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { methods, type MethodName } from '../../../src-main/contract/methods'
import type { Services } from '../../../src-main/services/services'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { buildWorld, checkedCall, freshServices, listTree, outsideSnapshot, show, stopJobs, watchJobCrashes, type Finding } from './fuzz-fixture'
import { edgeRequests, mutatedRequestArbitrary, requestArbitrary, type FuzzWorld } from './hostile-values'

// Issue 13: the whole contract, fuzzed through the real dispatcher and the real services on a real
// project (images, classes, a trained run) in a temp folder, with and without the project open:
// arbitrary JSON for every method; requests shaped like each method's schema with hostile values
// (random, and a valid request with one field changed); and a fixed sweep of every field through a
// list of known-dangerous values. Asserted over every call: never INTERNAL, never a throw past the
// dispatcher, always an envelope that serialises as JSON, jobs stop when cancelled, and no file
// appears outside the test's folder (the working directory is an empty folder of its own and /dev is
// watched after each call; the default data folder, `/` and /dev are compared before and after).
// Fixed seed and bounded counts, so CI makes the same calls every time; PICTOR_FUZZ_SEED and
// PICTOR_FUZZ_SCALE explore further by hand, PICTOR_FUZZ_VERBOSE and PICTOR_FUZZ_TRACE=<method> show
// what the calls answered.

const SEED = Number(process.env.PICTOR_FUZZ_SEED ?? 1313)
const SCALE = Number(process.env.PICTOR_FUZZ_SCALE ?? 1)
const runs = (count: number) => Math.max(1, Math.round(count * SCALE))

/** Methods that start a job: fuzzed fewer times, since each start spins up a worker. */
const JOB_METHODS = new Set(['import.start', 'train.start', 'train.resume', 'models.fetch', 'review.evaluate', 'review.findLabelIssues', 'review.checkRobustness', 'suggestions.compute', 'predict.start'])

/**
 * Calls that answer INTERNAL because of a defect in a file another helper owns and that was not
 * fixed when this test was written: each is listed in the report. Empty means none is tolerated.
 */
const KNOWN_FAILURES: { method: string; detail: RegExp }[] = []

/** Methods that destroy what later ones use (the run, classes, the project file) go last. */
const DESTRUCTIVE = ['classes.merge', 'classes.delete', 'runs.delete', 'backups.restore']
const METHOD_NAMES = (Object.keys(methods) as MethodName[]).sort((a, b) => DESTRUCTIVE.indexOf(a) - DESTRUCTIVE.indexOf(b))

let root: string
let cwdBefore: string
let world: FuzzWorld & { projectPath: string; dataDir: string }
let outsideBefore: Record<string, string[] | null>
const savedEnv: Record<string, string | undefined> = {}
const findings: Finding[] = []
/** Answers per code ('ok' or the error code), to show the calls reached the handlers, not only the schemas. */
const answers = new Map<string, number>()
const perMethod = new Map<string, number>()
const examples = new Map<string, string>()
let calls = 0
let sweepCalls = 0
const started = performance.now()

beforeAll(async () => {
  root = makeTempDir('pictor-fuzz-')
  for (const name of ['PICTOR_DATA_DIR', 'PICTOR_MODELS_DIR']) savedEnv[name] = process.env[name]
  process.env.PICTOR_DATA_DIR = join(root, 'data')
  // Never the shared base models: models.import with force would replace them.
  delete process.env.PICTOR_MODELS_DIR
  world = await buildWorld(root)
  // A relative path resolved against the working directory lands here, where nothing may appear.
  mkdirSync(join(root, 'cwd'))
  cwdBefore = process.cwd()
  process.chdir(join(root, 'cwd'))
  outsideBefore = outsideSnapshot()
}, 120_000)

afterAll(() => {
  if (cwdBefore) process.chdir(cwdBefore)
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  removeTempDir(root)
})

/**
 * Runs a property over fresh services (each phase starts from a new process state, like a relaunch).
 * Each phase gets its own seed derived from SEED and its label: with one seed for all, every method
 * would see the same sequence of choices (the same branch of every oneof at the same step).
 */
async function fuzz(label: string, property: (services: Services) => fc.IAsyncProperty<[[string, unknown]]>, numRuns: number) {
  const seed = phaseSeed(label)
  const services = freshServices(world.dataDir)
  const unwatch = watchJobCrashes(services, findings)
  try {
    await fc.assert(property(services), { seed, numRuns, endOnFailure: true })
  } finally {
    await stopJobs(services, (detail) => findings.push({ kind: 'job did not stop', method: label, request: '', detail }))
    unwatch()
    services.close()
  }
}

function phaseSeed(label: string): number {
  let hash = SEED >>> 0
  for (const char of label) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0
  return hash | 0
}

/** Puts the session in the state the phase wants (a fuzzed call may have opened or closed projects). */
async function settle(services: Services, open: boolean): Promise<void> {
  if (open) {
    if (services.session.summary?.path === world.projectPath) return
    const reopened = await services.dispatch('project.open', { path: world.projectPath })
    if (!reopened.ok) throw new Error(`the fuzz project cannot be opened again: ${reopened.error.code}: ${reopened.error.message}`)
  } else if (services.session.summary) {
    await services.dispatch('project.close', {})
  }
}

/** One checked call, tallied by its answer (PICTOR_FUZZ_VERBOSE / PICTOR_FUZZ_TRACE=<method> show more). */
async function call(services: Services, method: string, request: unknown): Promise<void> {
  calls++
  const envelope = await checkedCall(services, method, request, findings, join(root, 'cwd'))
  const code = envelope === null ? 'none' : envelope.ok ? 'ok' : envelope.error.code
  answers.set(code, (answers.get(code) ?? 0) + 1)
  if (process.env.PICTOR_FUZZ_TRACE === method) console.log(`TRACE ${show(request)} → ${show(envelope)}`.slice(0, 400))
  if (process.env.PICTOR_FUZZ_VERBOSE) {
    perMethod.set(`${method} ${code}`, (perMethod.get(`${method} ${code}`) ?? 0) + 1)
    if (envelope && !envelope.ok && !examples.has(`${method} ${code}`)) examples.set(`${method} ${code}`, `${show(request)} → ${envelope.error.message}`.slice(0, 300))
  }
}

function property(services: Services, open: boolean, pairs: fc.Arbitrary<[string, unknown]>): fc.IAsyncProperty<[[string, unknown]]> {
  return fc.asyncProperty(pairs, async ([method, request]) => {
    await settle(services, open)
    await call(services, method, request)
    // Findings are collected, not thrown: shrinking a stateful sequence would take minutes and the
    // report should list every distinct failure, not the first.
    return true
  })
}

const unknownMethods = ['no.such', '', '__proto__', 'constructor', 'toString', 'project.create ', 'PROJECT.OPEN', 'a'.repeat(10_000)]

function arbitraryJsonPairs(): fc.Arbitrary<[string, unknown]> {
  return fc.tuple(
    fc.oneof({ weight: 9, arbitrary: fc.constantFrom<string>(...METHOD_NAMES) }, { weight: 1, arbitrary: fc.constantFrom(...unknownMethods) }),
    fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 3, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], '', 0, Number.NaN, true) }
    )
  )
}

function hostilePairs(method: MethodName): fc.Arbitrary<[string, unknown]> {
  const schema = methods[method].request as Parameters<typeof requestArbitrary>[0]
  return fc
    .oneof({ weight: 3, arbitrary: mutatedRequestArbitrary(schema, method, world) }, { weight: 2, arbitrary: requestArbitrary(schema, method, world) })
    .map((request) => [method, request] as [string, unknown])
}

describe('the contract under fuzzing', () => {
  it('arbitrary JSON to every method, with the project open and without', { timeout: 300_000 }, async () => {
    await fuzz('arbitrary JSON', (services) => property(services, true, arbitraryJsonPairs()), runs(500))
    await fuzz('arbitrary JSON, no project', (services) => property(services, false, arbitraryJsonPairs()), runs(150))
  })

  it('valid-shaped requests with hostile values for every method, with the project open and without', { timeout: 300_000 }, async () => {
    for (const method of METHOD_NAMES) {
      const count = JOB_METHODS.has(method) ? 6 : 14
      await fuzz(method, (services) => property(services, true, hostilePairs(method)), runs(count))
      await fuzz(`${method}, no project`, (services) => property(services, false, hostilePairs(method)), runs(Math.ceil(count / 3)))
    }
  })

  it('every valid request with each field set to each value of a fixed hostile list (paths, numbers, strings)', { timeout: 300_000 }, async () => {
    const services = freshServices(world.dataDir)
    const unwatch = watchJobCrashes(services, findings)
    try {
      for (const method of METHOD_NAMES) {
        for (const request of edgeRequests(methods[method].request as Parameters<typeof edgeRequests>[0], method, world)) {
          await settle(services, true)
          sweepCalls++
          await call(services, method, request)
        }
      }
    } finally {
      unwatch()
      services.close()
    }
  })

  it('found nothing the contract promises never happens, and created nothing outside its folder', () => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const known = findings.filter((finding) => KNOWN_FAILURES.some((k) => k.method === finding.method && k.detail.test(finding.detail)))
    const unexpected = findings.filter((finding) => !known.includes(finding))
    const distinct = [...new Map(unexpected.map((finding) => [`${finding.kind} ${finding.method} ${finding.detail.slice(0, 80)}`, finding])).values()]
    console.log(
      `contract fuzz: ${calls} calls (${sweepCalls} of them the fixed sweep) over ${METHOD_NAMES.length} methods (seed ${SEED}) in ${seconds} s; ` +
        `${unexpected.length} findings (${distinct.length} distinct), ${known.length} known failures\n` +
        `  answers: ${[...answers].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code} ${count}`).join(', ')}`
    )
    if (perMethod.size > 0) console.log([...perMethod].sort().map(([key, count]) => `  ${key} ${count}  ${examples.get(key) ?? ''}`).join('\n'))
    for (const finding of distinct) console.log(`  ${finding.kind} ${finding.method} ${finding.request}\n      ${finding.detail}`)

    expect(listTree(join(root, 'cwd'))).toEqual([])
    expect(outsideSnapshot()).toEqual(outsideBefore)
    const db = new BetterSqlite3(world.projectPath, { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
    expect(distinct.map((finding) => `${finding.kind} ${finding.method} ${finding.request}: ${finding.detail}`)).toEqual([])
    expect(show(KNOWN_FAILURES)).toBe(show(KNOWN_FAILURES.filter((k) => known.some((finding) => finding.method === k.method))))
  })
})
