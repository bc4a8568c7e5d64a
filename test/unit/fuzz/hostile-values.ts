import fc from 'fast-check'
import type { z } from 'zod'

// Requests shaped like a method's schema (its keys, types and nesting) but filled with hostile
// values: huge strings, NUL bytes, control and direction marks, negative / NaN / infinite / huge
// numbers, device and relative paths, names over the file system's limit, and ids that exist next to
// ids that do not. Derived from the zod schemas themselves, so a new method is fuzzed without an edit.

export interface FuzzWorld {
  /** The test's own folder: every path that may create something lies below it. */
  root: string
  /** Real ids in the project, so some requests get past "not found" into the handlers. */
  imageIds: number[]
  classIds: number[]
  runIds: number[]
}

/** Methods whose path is written to or walked: they never get a real path outside `root`. */
const CREATES_OR_WALKS = new Set(['project.create', 'export.run', 'import.start', 'predict.start', 'predict.saveCsv', 'dataset.export'])

const HUGE = 'A'.repeat(200_000)

const hostileStrings = [
  '', ' ', '\t', '\0', 'a\0b', '\u202eevil', '\u2028', '\x1b[31mred', '🙂'.repeat(60), 'x'.repeat(101), 'n'.repeat(300),
  HUGE, '../../etc/passwd', '/dev/zero', '%2e%2e/x', 'null', 'undefined', '__proto__', 'constructor', 'NaN', '-1'
]

const ordinaryStrings = ['cat', 'red', 'blue', 'Dogs', 'a', '1', 'z', '#ff0000', '#FF0000', 'accept', 'train', 'onnx']

const hostileNumbers = [
  -1, 0, -0, 0.5, 1.5, -1e-9, 2 ** 31, 2 ** 31 - 1, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 1e308, -1e308,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, Number.EPSILON
]

const ordinaryNumbers = [0, 1, 2, 3, 5, 8, 10, 18, 20, 24, 0.1, 0.2, 0.7, 0.999, 1000]

const unknownIds = [99_999, 123_456_789, 2 ** 31 - 1, Number.MAX_SAFE_INTEGER]

export function stringArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...hostileStrings) },
    { weight: 2, arbitrary: fc.constantFrom(...ordinaryStrings) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }
  )
}

function numberArbitrary(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...hostileNumbers) },
    { weight: 3, arbitrary: fc.constantFrom(...ordinaryNumbers) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.integer() }
  )
}

function idArbitrary(real: readonly number[]): fc.Arbitrary<number> {
  const options = [
    { weight: 2, arbitrary: fc.constantFrom(...unknownIds) },
    { weight: 1, arbitrary: fc.constantFrom(...hostileNumbers) }
  ]
  if (real.length > 0) options.push({ weight: 4, arbitrary: fc.constantFrom(...real) })
  return fc.oneof(...options)
}

/** Paths: inside the test's folder (real files, folders, links, a pipe), devices, relative ones, junk. */
export function pathsFor(world: FuzzWorld, method: string): { inside: string[]; devices: string[]; relative: string[]; outside: string[]; junk: string[] } {
  const { root } = world
  return {
    inside: [
      `${root}/work/images`,
      `${root}/work/images/train/red`,
      `${root}/work/images/train/red/img-1.png`,
      `${root}/work/project.pictor`,
      `${root}/work/new.pictor`,
      `${root}/work/new-${'é'.repeat(20)}.pictor`,
      `${root}/work/exports/one`,
      `${root}/work/missing/deeper/x.pictor`,
      `${root}/work/a/../images`,
      `${root}/work/${'n'.repeat(300)}.pictor`,
      `${root}/work/${'d/'.repeat(1900)}x.pictor`,
      `${root}/work/link-to-dev-zero`,
      `${root}/work/link-to-etc`,
      `${root}/work/fifo`,
      `${root}/work/not-a-project.pictor`,
      `${root}/work/images/train/red/img-1.png/inside-a-file`,
      `${root}/work/ `
    ],
    devices: ['/dev/zero', '/dev/null', '/dev/stdin', '/dev/urandom', '/proc/self/environ', '/proc/self/fd/0', '/sys/kernel/notes', '/dev/../dev/zero', '//dev//zero', '/tmp/../dev/zero'],
    relative: ['x', 'flowers.pictor', 'x.pictor', '../../etc/passwd', '.', '..', './', '~/x.pictor', 'C:\\x.pictor', 'c:/x.pictor', '\\\\server\\share\\x.pictor', 'images'],
    // Only read: opening or probing these creates nothing.
    outside: CREATES_OR_WALKS.has(method) ? [] : ['/', '/etc', '/etc/passwd', '/root', '/nonexistent/x.pictor'],
    junk: ['', ' ', '\0', `${root}/work/a\0b`, `/${HUGE}`, '/a'.repeat(3000)]
  }
}

export function pathArbitrary(world: FuzzWorld, method: string): fc.Arbitrary<string> {
  const paths = pathsFor(world, method)
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...paths.inside) },
    { weight: 2, arbitrary: fc.constantFrom(...paths.devices) },
    { weight: 2, arbitrary: fc.constantFrom(...paths.relative) },
    { weight: 1, arbitrary: fc.constantFrom(...(paths.outside.length > 0 ? paths.outside : paths.relative)) },
    { weight: 1, arbitrary: fc.constantFrom(...paths.junk) }
  )
}

/**
 * Every valid request of `method` with one field replaced by each value of a fixed hostile list for
 * its type (every odd path for path fields, every hostile number, every hostile string): the same
 * calls on every run, so the known-dangerous values are always tried, whatever the random draws.
 */
export function edgeRequests(schema: z.ZodType, method: string, world: FuzzWorld): unknown[] {
  const base = VALID_OVERRIDES[method] ?? validValue(schema, '', method, world)
  const def = defOf(schema)
  if (def.type !== 'object' || typeof base !== 'object' || base === null) return []
  const requests: unknown[] = [base]
  for (const [key, field] of Object.entries(def.shape!)) {
    const type = leafType(field)
    const paths = pathsFor(world, method)
    const values =
      type === 'string' && /path|folder|dir/i.test(key)
        ? [...paths.inside, ...paths.devices, ...paths.relative, ...paths.outside, ...paths.junk]
        : type === 'string' || type === 'enum'
          ? hostileStrings
          : type === 'number'
            ? [...hostileNumbers, ...unknownIds]
            : type === 'array'
              ? [[], [0], [-1], [Number.NaN], [99_999], [1, 1, 1], Array.from({ length: 20_000 }, (_, index) => index + 1)]
              : [null, 'x', 0, {}, []]
    for (const value of values) requests.push({ ...(base as object), [key]: value })
  }
  return requests
}

function leafType(schema: z.ZodType): string {
  const def = defOf(schema)
  if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') return leafType(def.innerType!)
  if (def.type === 'pipe') return leafType(def.in!)
  return def.type
}

type Def = {
  type: string
  shape?: Record<string, z.ZodType>
  innerType?: z.ZodType
  element?: z.ZodType
  options?: z.ZodType[]
  entries?: Record<string, string>
  values?: unknown[]
  in?: z.ZodType
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def

/** A valid-shaped, hostile-valued request for `schema` (the request schema of `method`). */
export function requestArbitrary(schema: z.ZodType, method: string, world: FuzzWorld): fc.Arbitrary<unknown> {
  return valueFor(schema, '', method, world)
}

function valueFor(schema: z.ZodType, key: string, method: string, world: FuzzWorld): fc.Arbitrary<unknown> {
  const def = defOf(schema)
  switch (def.type) {
    case 'object': {
      const shape = Object.fromEntries(Object.entries(def.shape!).map(([name, field]) => [name, valueFor(field, name, method, world)]))
      return fc.oneof(
        { weight: 6, arbitrary: fc.record(shape) },
        { weight: 2, arbitrary: fc.record(shape, { requiredKeys: [] }) },
        { weight: 1, arbitrary: fc.record(shape).map((value) => ({ ...value, unexpected: 1 })) }
      )
    }
    case 'optional':
    case 'default':
      return fc.option(valueFor(def.innerType!, key, method, world), { nil: undefined, freq: 4 })
    case 'nullable':
      return fc.option(valueFor(def.innerType!, key, method, world), { nil: null, freq: 3 })
    case 'pipe':
      return valueFor(def.in!, key, method, world)
    case 'enum':
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.values(def.entries!)) }, { weight: 1, arbitrary: stringArbitrary() })
    case 'literal':
      return fc.constantFrom(...def.values!)
    case 'union':
      return fc.oneof(...def.options!.map((option) => valueFor(option, key, method, world)))
    case 'array': {
      const element = valueFor(def.element!, key, method, world)
      return fc.oneof(
        { weight: 6, arbitrary: fc.array(element, { minLength: 1, maxLength: 6 }) },
        { weight: 1, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.constant(Array.from({ length: 20_000 }, (_, index) => index + 1)) }
      )
    }
    case 'string':
      return /path|folder|dir/i.test(key) ? pathArbitrary(world, method) : stringArbitrary()
    case 'number':
      return numberFor(key, world)
    case 'boolean':
      return fc.boolean()
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

function numberFor(key: string, world: FuzzWorld): fc.Arbitrary<number> {
  if (/^imageIds?$/.test(key)) return idArbitrary(world.imageIds)
  if (/^runId$/.test(key)) return idArbitrary(world.runIds)
  if (/^(id|classId|sourceId|targetId|trueClassId|predictedClassId)$/.test(key)) return idArbitrary(world.classIds)
  return numberArbitrary()
}

/** Requests that pass the schema as they are, for the methods whose object-level rules a field-by-field pick misses. */
const VALID_OVERRIDES: Record<string, Record<string, unknown>> = {
  'splits.setRatios': { train: 0.7, val: 0.2, test: 0.1 },
  'suggestions.accept': { minConfidence: 0.9 }
}

/**
 * A valid request with exactly one field replaced by a hostile value of its type: most of these get
 * past the schema and into the handler, where a hostile value does its damage.
 */
export function mutatedRequestArbitrary(schema: z.ZodType, method: string, world: FuzzWorld): fc.Arbitrary<unknown> {
  const base = VALID_OVERRIDES[method] ?? validValue(schema, '', method, world)
  const def = defOf(schema)
  if (def.type !== 'object' || typeof base !== 'object' || base === null) return requestArbitrary(schema, method, world)
  const keys = Object.keys(def.shape!)
  if (keys.length === 0) return fc.constant(base)
  const mutated = fc.constantFrom(...keys).chain((key) =>
    valueFor(def.shape![key]!, key, method, world).map((value) => ({ ...(base as object), [key]: value }))
  )
  return fc.oneof({ weight: 6, arbitrary: mutated }, { weight: 1, arbitrary: fc.constant(base) })
}

const VALID_STRINGS = ['cat', '#3366cc', '1', 'accept', 'x']
const VALID_NUMBERS = [1, 0.5, 20, 10, 0, 200]

/** Where a valid request of `method` points: inside the test's folder, at something that exists. */
function validPath(world: FuzzWorld, method: string): string {
  const work = `${world.root}/work`
  if (method === 'project.create') return `${work}/fresh.pictor`
  if (method === 'import.start' || method === 'models.import') return `${work}/images`
  if (method === 'export.run') return `${work}/exports/base`
  if (method === 'dataset.export') return `${work}/datasets/base`
  return `${work}/project.pictor`
}

/** A value `schema` accepts (undefined when none of the candidates is), chosen field by field. */
function validValue(schema: z.ZodType, key: string, method: string, world: FuzzWorld): unknown {
  const def = defOf(schema)
  const accepted = (candidates: readonly unknown[]) => candidates.find((candidate) => schema.safeParse(candidate).success)
  switch (def.type) {
    case 'object': {
      const entries = Object.entries(def.shape!).map(([name, field]) => [name, validValue(field, name, method, world)] as const)
      return Object.fromEntries(entries.filter(([, value]) => value !== undefined))
    }
    case 'optional':
    case 'default':
    case 'nullable':
      return validValue(def.innerType!, key, method, world)
    case 'pipe':
      return validValue(def.in!, key, method, world)
    case 'enum':
      return Object.values(def.entries!)[0]
    case 'literal':
      return def.values![0]
    case 'union':
      return def.options!.map((option) => validValue(option, key, method, world)).find((value) => value !== undefined)
    case 'array': {
      const element = validValue(def.element!, key, method, world)
      return element === undefined ? undefined : [element]
    }
    case 'string':
      return /path|folder|dir/i.test(key) ? validPath(world, method) : accepted(VALID_STRINGS)
    case 'number':
      if (/^imageIds?$/.test(key)) return world.imageIds[0]
      if (/^runId$/.test(key)) return world.runIds[0]
      if (/^(id|classId|sourceId|trueClassId)$/.test(key)) return world.classIds[0]
      if (/^(targetId|predictedClassId)$/.test(key)) return world.classIds[1] ?? world.classIds[0]
      return accepted(VALID_NUMBERS)
    case 'boolean':
      return false
    default:
      return undefined
  }
}
