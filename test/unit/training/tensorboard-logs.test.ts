import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunSummary, TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { runTraining } from '../../../src-main/training/run-training'
import { seedCnnPlug } from '../../../src-main/training/seed-cnn-plug'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'
import { readEventFile, type DecodedEvent } from '../tensorboard/event-reader'
import { inputFor, runOf } from './engine/job-helpers'

// Every run leaves TensorBoard event files in Keras's layout while it trains (issue 17). The files
// are read back with the test's own reader (its own CRC-32C and protobuf decoding, not the writer's
// code) and compared with what the project stored for the same run.

let dir: string
let project: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-tb-logs-')
  project = (await createTrainingProject(join(dir, 'flowers'), splitGroups({ train: [10, 10], val: [4, 4], test: [4, 4] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47]

/** Every event of the (only, or all) event files in one of a run's folders, in file order. */
function eventsIn(folder: string): { files: string[]; events: DecodedEvent[] } {
  const files = readdirSync(folder).filter((name) => name.startsWith('events.out.tfevents.')).sort()
  const events = files.flatMap((name) => {
    const read = readEventFile(new Uint8Array(readFileSync(join(folder, name))))
    expect(read.partialTail, `${name} ends in a partial record`).toBeNull()
    expect(read.events[0]!.fileVersion).toBe('brain.Event:2')
    return read.events.slice(1)
  })
  return { files, events }
}

/** tag → [step, value] of every scalar (TF2 form: a rank-0 DT_FLOAT tensor, plugin "scalars"). */
function scalars(events: DecodedEvent[]): Map<string, [number, number][]> {
  const found = new Map<string, [number, number][]>()
  for (const event of events) {
    for (const value of event.values) {
      if (value.metadata?.pluginName !== 'scalars') continue
      const content = value.tensor!.tensorContent!
      const number = new DataView(content.buffer, content.byteOffset, content.byteLength).getFloat32(0, true)
      found.set(value.tag, [...(found.get(value.tag) ?? []), [event.step, number]])
    }
  }
  return found
}

const tagsOf = (events: DecodedEvent[], plugin: string) =>
  events.flatMap((event) => event.values.filter((value) => value.metadata?.pluginName === plugin).map((value) => ({ tag: value.tag, step: event.step, value })))

const float32 = (value: number) => Math.fround(value)

function expectEpochScalars(run: RunSummary, settings: TrainSettings): void {
  const train = scalars(eventsIn(join(run.logDir!, 'train')).events)
  const validation = scalars(eventsIn(join(run.logDir!, 'validation')).events)
  expect(train.get('epoch_loss')).toEqual(run.epochs.map((epoch) => [epoch.epoch, float32(epoch.loss)]))
  expect(train.get('epoch_accuracy')).toEqual(run.epochs.map((epoch) => [epoch.epoch, float32(epoch.accuracy)]))
  expect(train.get('epoch_learning_rate')).toEqual(run.epochs.map((epoch) => [epoch.epoch, float32(settings.learningRate)]))
  expect(train.get('images_per_second')).toEqual(run.epochs.map((epoch) => [epoch.epoch, float32(epoch.imagesPerSecond)]))
  expect(validation.get('epoch_loss')).toEqual(run.epochs.map((epoch) => [epoch.epoch, float32(epoch.valLoss!)]))
  expect(validation.get('epoch_accuracy')).toEqual(run.epochs.map((epoch) => [epoch.epoch, float32(epoch.valAccuracy!)]))
}

function expectEndOfRunImages(run: RunSummary): void {
  const images = tagsOf(eventsIn(join(run.logDir!, 'validation')).events, 'images')
  expect(images.map(({ tag, step }) => [tag, step])).toEqual([
    ['confusion_matrix', run.epochs.length - 1],
    ['worst_mistakes', run.epochs.length - 1]
  ])
  for (const { value } of images) {
    const [width, height, png] = value.tensor!.stringVal
    expect(Number(new TextDecoder().decode(width))).toBeGreaterThan(0)
    expect(Number(new TextDecoder().decode(height))).toBeGreaterThan(0)
    expect([...png!.subarray(0, 4)]).toEqual(PNG_SIGNATURE)
  }
}

describe('TensorBoard logs of a run', () => {
  it('a seed-CNN run writes train/ and validation/ event files beside the project, every epoch, with histograms and end-of-run images', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    await runTraining(inputFor(project, runId, settings, false), seedCnnPlug, recordingContext())
    const run = runOf(project, runId)
    // …/flowers/project.pictor → …/flowers/project.runs/run-N
    expect(project).toMatch(/project\.pictor$/)
    expect(run.logDir).toBe(join(dirname(project), 'project.runs', `run-${runId}`))
    for (const folder of ['train', 'validation']) {
      const { files } = eventsIn(join(run.logDir!, folder))
      expect(files).toHaveLength(1)
      expect(files[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replaceAll('.', '\\.')}\\.pictor\\.v2$`))
    }
    expectEpochScalars(run, settings)
    const trainEvents = eventsIn(join(run.logDir!, 'train')).events
    const text = tagsOf(trainEvents, 'text')
    expect(text.map(({ tag, step }) => [tag, step])).toEqual([['settings', 0]])
    const markdown = new TextDecoder().decode(text[0]!.value.tensor!.stringVal[0])
    expect(markdown).toContain(`Pictor run ${runId}`)
    expect(markdown).toContain('| learningRate | 0.003 |')
    // The seed CNN is small: a histogram of every trainable weight, every epoch.
    const histograms = tagsOf(trainEvents, 'histograms')
    expect(histograms.length).toBeGreaterThan(0)
    expect(new Set(histograms.map(({ step }) => step))).toEqual(new Set([0, 1]))
    expect(histograms.every(({ tag }) => tag.endsWith('/histogram'))).toBe(true)
    expectEndOfRunImages(run)
  }, 120_000)

  it('goes under a chosen log root, without histograms when told so', async () => {
    const settings = trainSettings({ epochs: 1 })
    const runId = queueRun(project, settings)
    const logRoot = join(dir, 'elsewhere', 'logs')
    await runTraining({ ...inputFor(project, runId, settings, false), logRoot, histograms: false }, seedCnnPlug, recordingContext())
    const run = runOf(project, runId)
    expect(run.logDir).toBe(join(logRoot, `run-${runId}`))
    expect(tagsOf(eventsIn(join(run.logDir!, 'train')).events, 'histograms')).toEqual([])
    expectEpochScalars(run, settings)
  }, 120_000)

  it('a cancelled run keeps a readable trail up to its last epoch, and resuming adds a second file to the same folders', async () => {
    const settings = trainSettings({ epochs: 3 })
    const runId = queueRun(project, settings)
    const context = recordingContext()
    await expect(runTraining(inputFor(project, runId, settings, false), seedCnnPlug, { ...context, callbacks: () => [{ onEpochEnd: () => context.controller.abort() }] })).rejects.toThrow(/cancelled/)
    const cancelled = runOf(project, runId)
    expect(cancelled.status).toBe('cancelled')
    expect(scalars(eventsIn(join(cancelled.logDir!, 'train')).events).get('epoch_loss')).toEqual(cancelled.epochs.map((epoch) => [epoch.epoch, float32(epoch.loss)]))
    // A new file per attempt, as Keras does when a run is continued: TensorBoard reads them as one run.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await runTraining(inputFor(project, runId, settings, true), seedCnnPlug, recordingContext())
    const resumed = runOf(project, runId)
    expect(resumed.logDir).toBe(cancelled.logDir)
    expect(eventsIn(join(resumed.logDir!, 'train')).files).toHaveLength(2)
    expectEpochScalars(resumed, settings)
  }, 180_000)

  it('a log folder that cannot be written stops the logs with a note, not the training', async () => {
    const settings = trainSettings({ epochs: 1 })
    const runId = queueRun(project, settings)
    const blocked = join(dir, 'blocked')
    mkdirSync(dirname(blocked), { recursive: true })
    writeFileSync(blocked, 'a file where the log root should be')
    const result = await runTraining({ ...inputFor(project, runId, settings, false), logRoot: blocked }, seedCnnPlug, recordingContext())
    expect(runOf(project, runId).status).toBe('done')
    expect(result.notes.some((note) => /^TensorBoard logs stopped \(.+\); training goes on$/.test(note))).toBe(true)
  }, 120_000)

  it('a MobileNetV2 run writes the same trail', async () => {
    const modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
    if (!hasPretrained) await writeRandomBaseModel(modelsDir)
    const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', backend: 'wasm', epochs: 3, patience: 0 }) as TrainSettings
    const runId = queueRun(project, settings)
    await transferTrainingJob({ projectPath: project, modelsDir, runId, settings, resume: false }, recordingContext())
    const run = runOf(project, runId)
    expect(run.status).toBe('done')
    expectEpochScalars(run, settings)
    expectEndOfRunImages(run)
  }, 240_000)
})
