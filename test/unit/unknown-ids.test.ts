import { describe, expect, it } from 'vitest'
import { methods, type MethodName } from '../../src-main/contract/methods'
import { createRun } from '../../src-main/db/queries/training-runs'
import { useLabelingProject } from '../helpers/labeling-project'
import { trainSettings } from '../helpers/training-project'

// Every contract method that takes an id answers a missing one the same way, through the real
// services on a real project: NOT_FOUND, "<thing> <id> does not exist" — never ok, never a
// different code or wording per method.

const project = useLabelingProject()

const MISSING = 99_999

/** What exists in the project while each call runs: the other ids of a request are real ones. */
interface Existing {
  project: string
  image: number
  classA: number
  classB: number
  run: number
}

interface Case {
  method: MethodName
  /** The request field carrying the missing id. */
  field: string
  request: (existing: Existing) => Record<string, unknown>
  thing: 'image' | 'class' | 'run' | 'job' | 'backup'
  id?: number | string
}

const CASES: Case[] = [
  { method: 'images.query', field: 'label', request: () => ({ label: MISSING }), thing: 'class' },
  { method: 'images.get', field: 'ids', request: ({ image }) => ({ ids: [image, MISSING] }), thing: 'image' },
  { method: 'labels.assign', field: 'imageIds', request: ({ image, classA }) => ({ imageIds: [image, MISSING], classId: classA }), thing: 'image' },
  { method: 'labels.assign', field: 'classId', request: ({ image }) => ({ imageIds: [image], classId: MISSING }), thing: 'class' },
  { method: 'classes.update', field: 'id', request: () => ({ id: MISSING, name: 'x' }), thing: 'class' },
  { method: 'classes.merge', field: 'sourceId', request: ({ classB }) => ({ sourceId: MISSING, targetId: classB }), thing: 'class' },
  { method: 'classes.merge', field: 'targetId', request: ({ classA }) => ({ sourceId: classA, targetId: MISSING }), thing: 'class' },
  { method: 'classes.delete', field: 'id', request: () => ({ id: MISSING }), thing: 'class' },
  { method: 'images.setSplit', field: 'imageIds', request: ({ image }) => ({ imageIds: [image, MISSING], split: 'test' }), thing: 'image' },
  { method: 'train.resume', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'runs.delete', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'runs.compare', field: 'runIds', request: ({ run }) => ({ runIds: [run, MISSING] }), thing: 'run' },
  { method: 'runs.writeLogs', field: 'runIds', request: ({ run }) => ({ runIds: [run, MISSING], out: '/tmp/pictor-unknown-ids-logs' }), thing: 'run' },
  { method: 'review.evaluate', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'review.evaluation', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  {
    method: 'review.cell',
    field: 'runId',
    request: ({ classA, classB }) => ({ runId: MISSING, split: 'test', trueClassId: classA, predictedClassId: classB }),
    thing: 'run'
  },
  {
    method: 'review.cell',
    field: 'trueClassId',
    request: ({ run, classB }) => ({ runId: run, split: 'test', trueClassId: MISSING, predictedClassId: classB }),
    thing: 'class'
  },
  {
    method: 'review.cell',
    field: 'predictedClassId',
    request: ({ run, classA }) => ({ runId: run, split: 'test', trueClassId: classA, predictedClassId: MISSING }),
    thing: 'class'
  },
  { method: 'review.topLoss', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'review.decideIssue', field: 'imageId', request: () => ({ imageId: MISSING, decision: 'reject' }), thing: 'image' },
  { method: 'review.checkRobustness', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'review.robustness', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'review.rememberRun', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'serve.start', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'report.create', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'report.status', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'suggestions.compute', field: 'runId', request: () => ({ runId: MISSING }), thing: 'run' },
  { method: 'suggestions.accept', field: 'imageIds', request: ({ image }) => ({ imageIds: [image, MISSING] }), thing: 'image' },
  { method: 'export.run', field: 'runId', request: () => ({ runId: MISSING, dir: '/tmp/pictor-never-written', formats: ['onnx'] }), thing: 'run' },
  { method: 'backups.restore', field: 'id', request: ({ project }) => ({ path: project, id: 'no-such-backup' }), thing: 'backup', id: 'no-such-backup' },
  { method: 'predict.start', field: 'runId', request: ({ project }) => ({ folder: project.slice(0, project.lastIndexOf('/')), runId: MISSING }), thing: 'run' },
  { method: 'predict.image', field: 'runId', request: ({ project }) => ({ runId: MISSING, path: project }), thing: 'run' },
  { method: 'predict.results', field: 'jobId', request: () => ({ jobId: 'no-such-job' }), thing: 'job', id: 'no-such-job' },
  { method: 'predict.saveCsv', field: 'jobId', request: () => ({ jobId: 'no-such-job', path: '/tmp/pictor-never-written.csv' }), thing: 'job', id: 'no-such-job' },
  { method: 'jobs.cancel', field: 'jobId', request: () => ({ jobId: 'no-such-job' }), thing: 'job', id: 'no-such-job' }
]

/** Request fields that carry an id, read from the contract itself, so a new method cannot be forgotten here. */
function idFields(): string[] {
  const fields: string[] = []
  for (const [method, { request }] of Object.entries(methods)) {
    const shape = (request as unknown as { shape?: Record<string, unknown> }).shape ?? {}
    for (const field of Object.keys(shape)) {
      if (/(^id|Id|Ids)$|^ids$/.test(field) || (method === 'images.query' && field === 'label')) fields.push(`${method} ${field}`)
    }
  }
  return fields.sort()
}

describe('unknown ids', () => {
  it('the table covers every id a contract request carries', () => {
    expect([...new Set(CASES.map((c) => `${c.method} ${c.field}`))].sort()).toEqual(idFields())
  })

  it('every id-taking method answers a missing id with NOT_FOUND "<thing> <id> does not exist", and changes nothing', async () => {
    const p = project()
    const [image] = p.images([{ split: 'train' }])
    const [classA, classB] = await p.classes('a', 'b')
    const run = createRun(p.db(), { modelKind: 'cnn', settings: trainSettings(), classNames: ['a', 'b'], backend: null })
    const existing: Existing = { project: p.path, image: image!, classA: classA!, classB: classB!, run }
    const before = { labels: p.count('labels'), splits: p.count('images', "split_origin = 'user'"), runs: p.count('training_runs'), classes: p.count('classes', 'deleted_at IS NULL') }

    // Compared as one list, so a failure shows every method that answers differently.
    const answers: string[] = []
    const expected: string[] = []
    for (const c of CASES) {
      const envelope = await p.services.dispatch(c.method, c.request(existing))
      answers.push(`${c.method} ${c.field}: ${envelope.ok ? `ok ${JSON.stringify(envelope.value)?.slice(0, 60)}` : `${envelope.error.code} ${envelope.error.message}`}`)
      expected.push(`${c.method} ${c.field}: NOT_FOUND ${c.thing} ${c.id ?? MISSING} does not exist`)
    }
    expect(answers).toEqual(expected)
    expect({ labels: p.count('labels'), splits: p.count('images', "split_origin = 'user'"), runs: p.count('training_runs'), classes: p.count('classes', 'deleted_at IS NULL') }).toEqual(before)
  })
})
