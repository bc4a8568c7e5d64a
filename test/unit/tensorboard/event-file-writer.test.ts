import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { EventFileWriter } from '../../../src-main/tensorboard/event-file-writer'
import { useTempDir } from '../../helpers/temp-dir'
import { readEventFile, type DecodedValue } from './event-reader'

const tempDir = useTempDir('pictor-tb-writer-')

const DT_FLOAT = 1
const DT_DOUBLE = 2
const DT_STRING = 7
const SCALAR = 1
const TENSOR = 2
const BLOB_SEQUENCE = 3

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

function doubles(tensorContent: Uint8Array | undefined): number[] {
  if (!tensorContent) return []
  const view = new DataView(tensorContent.buffer, tensorContent.byteOffset, tensorContent.byteLength)
  return Array.from({ length: tensorContent.length / 8 }, (_, i) => view.getFloat64(i * 8, true))
}

function onlyValue(file: string, index: number): DecodedValue {
  const { events } = readEventFile(readFileSync(file))
  expect(events[index]!.values).toHaveLength(1)
  return events[index]!.values[0]!
}

function histogramRows(value: DecodedValue): number[][] {
  const flat = doubles(value.tensor!.tensorContent)
  return Array.from({ length: flat.length / 3 }, (_, i) => flat.slice(i * 3, i * 3 + 3))
}

describe('EventFileWriter', () => {
  it('names the file like TensorFlow, in a folder it creates', () => {
    const dir = join(tempDir(), 'logs', 'run-1')
    const writer = EventFileWriter.open(dir, { wallTime: () => 1700000000.75, host: 'box' })
    writer.close()
    expect(basename(writer.path)).toBe('events.out.tfevents.1700000000.box.pictor.v2')
    expect(readdirSync(dir)).toEqual([basename(writer.path)])
    const { events, partialTail } = readEventFile(readFileSync(writer.path))
    expect(partialTail).toBeNull()
    expect(events).toEqual([{ wallTime: 1700000000.75, step: 0, fileVersion: 'brain.Event:2', values: [] }])
  })

  it('never appends to another writers file: a second writer in the same second gets its own', () => {
    const options = { wallTime: () => 1700000000, host: 'box' }
    const first = EventFileWriter.open(tempDir(), options)
    const second = EventFileWriter.open(tempDir(), options)
    expect(basename(second.path)).toBe('events.out.tfevents.1700000000.box.pictor.2.v2')
    first.close()
    second.close()
    expect(readEventFile(readFileSync(first.path)).events).toHaveLength(1)
  })

  it('keeps odd characters of the host name out of the file name', () => {
    const writer = EventFileWriter.open(tempDir(), { wallTime: () => 5, host: 'a/b c' })
    writer.close()
    expect(basename(writer.path)).toBe('events.out.tfevents.5.a_b_c.pictor.v2')
  })

  it('throws the fs error when the folder cannot be made', () => {
    const file = join(tempDir(), 'not-a-folder')
    writeFileSync(file, 'x')
    expect(() => EventFileWriter.open(join(file, 'logs'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }))
  })

  it('writes scalars, text, images and histograms that read back with their metadata', async () => {
    let clock = 100
    const writer = EventFileWriter.open(tempDir(), { wallTime: () => clock++, host: 'h' })
    writer.scalar('epoch_loss', 0.1, 1)
    writer.scalar('epoch_loss', 1 / 3, 2)
    writer.scalar('lr', -0, 0)
    writer.text('notes', '# Run 7\n\n*café* & <b>', 2)
    const png = await sharp({ create: { width: 7, height: 5, channels: 3, background: 'red' } }).png().toBuffer()
    writer.image('confusion', { png, width: 7, height: 5 }, 3)
    const weights = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3)
    writer.histogram('dense/kernel', new Float32Array(weights), 4)
    writer.close()

    const { events, partialTail } = readEventFile(readFileSync(writer.path))
    expect(partialTail).toBeNull()
    expect(events[0]!.fileVersion).toBe('brain.Event:2')
    expect(events.map((e) => e.step)).toEqual([0, 1, 2, 0, 2, 3, 4])
    expect(events.map((e) => e.wallTime)).toEqual([100, 101, 102, 103, 104, 105, 106])
    expect(events.slice(1).map((e) => e.values[0]!.tag)).toEqual([
      'epoch_loss', 'epoch_loss', 'lr', 'notes', 'confusion', 'dense/kernel'
    ])

    const scalar = events[2]!.values[0]!
    expect(scalar.tensor).toMatchObject({ dtype: DT_FLOAT, shape: [] })
    expect(scalar.tensor!.tensorContent).toHaveLength(4)
    const float = new DataView(scalar.tensor!.tensorContent!.buffer, scalar.tensor!.tensorContent!.byteOffset)
    expect(float.getFloat32(0, true)).toBe(Math.fround(1 / 3))
    expect(scalar.metadata).toMatchObject({ pluginName: 'scalars', dataClass: SCALAR })
    expect(scalar.metadata!.content).toHaveLength(0)

    const note = events[4]!.values[0]!
    expect(note.tensor).toMatchObject({ dtype: DT_STRING, shape: [] })
    expect(note.tensor!.stringVal.map(text)).toEqual(['# Run 7\n\n*café* & <b>'])
    expect(note.metadata).toMatchObject({ pluginName: 'text', dataClass: TENSOR })

    const image = events[5]!.values[0]!
    expect(image.tensor).toMatchObject({ dtype: DT_STRING, shape: [3] })
    const [width, height, encoded] = image.tensor!.stringVal
    expect([text(width!), text(height!)]).toEqual(['7', '5'])
    expect(Buffer.from(encoded!.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a')
    expect(await sharp(encoded!).metadata()).toMatchObject({ width: 7, height: 5, format: 'png' })
    expect(image.metadata).toMatchObject({ pluginName: 'images', dataClass: BLOB_SEQUENCE })

    const histogram = events[6]!.values[0]!
    expect(histogram.tensor).toMatchObject({ dtype: DT_DOUBLE, shape: [30, 3] })
    expect(histogram.metadata).toMatchObject({ pluginName: 'histograms', dataClass: TENSOR })
    const rows = histogramRows(histogram)
    expect(rows.reduce((sum, row) => sum + row[2]!, 0)).toBe(1000)
    const min = Math.min(...new Float32Array(weights))
    const max = Math.max(...new Float32Array(weights))
    expect(rows[0]![0]).toBe(min)
    expect(rows[29]![1]).toBe(max)
    rows.slice(1).forEach((row, i) => expect(row[0]).toBe(rows[i]![1]))
  })

  it('buckets a constant input and an empty one as tf.summary.histogram does', () => {
    const writer = EventFileWriter.open(tempDir(), { wallTime: () => 1, host: 'h' })
    writer.histogram('constant', [2.5, 2.5, 2.5], 1)
    writer.histogram('empty', [], 1)
    writer.histogram('with-nan', [0, 1, Number.NaN, Infinity, 1], 1)
    writer.close()
    const constant = onlyValue(writer.path, 1)
    expect(constant.tensor!.shape).toEqual([1, 3])
    expect(histogramRows(constant)).toEqual([[2, 3, 3]])
    const empty = onlyValue(writer.path, 2)
    expect(empty.tensor!.shape).toEqual([0, 3])
    expect(empty.tensor!.tensorContent).toBeUndefined()
    const withNan = histogramRows(onlyValue(writer.path, 3))
    expect(withNan).toHaveLength(30)
    expect(withNan.reduce((sum, row) => sum + row[2]!, 0)).toBe(3)
    expect(withNan[0]![2]).toBe(1)
    expect(withNan[29]![2]).toBe(2)
  })

  it('refuses a step that is not an integer and any write after close', () => {
    const writer = EventFileWriter.open(tempDir(), { wallTime: () => 1, host: 'h' })
    expect(() => writer.scalar('x', 1, 1.5)).toThrow(RangeError)
    writer.close()
    writer.close()
    expect(() => writer.scalar('x', 1, 2)).toThrow(/closed/)
  })

  it('puts every record written before flush() on disk, readable from another descriptor', () => {
    const writer = EventFileWriter.open(tempDir(), { wallTime: () => 1, host: 'h' })
    const afterOpen = statSync(writer.path).size
    writer.scalar('a', 1, 1)
    writer.scalar('a', 2, 2)
    // Buffered, not yet written: the file still holds only the file_version record.
    expect(statSync(writer.path).size).toBe(afterOpen)
    writer.flush()
    const fd = openSync(writer.path, 'r')
    try {
      const size = statSync(writer.path).size
      const bytes = Buffer.alloc(size)
      expect(readSync(fd, bytes, 0, size, 0)).toBe(size)
      const { events, partialTail } = readEventFile(bytes)
      expect(partialTail).toBeNull()
      expect(events.map((e) => e.step)).toEqual([0, 1, 2])
    } finally {
      closeSync(fd)
      writer.close()
    }
  })

  it('leaves a file cut anywhere (a kill mid-write) readable up to its last whole record', () => {
    const writer = EventFileWriter.open(tempDir(), { wallTime: () => 1, host: 'h' })
    for (let step = 1; step <= 5; step++) writer.scalar('loss', 1 / step, step)
    writer.text('notes', 'hello', 5)
    writer.close()
    const file = readFileSync(writer.path)
    // Record boundaries, from the complete file.
    const boundaries = [0]
    for (let at = 0; at < file.length; ) {
      at += 12 + file.readUInt32LE(at) + 4
      boundaries.push(at)
    }
    expect(boundaries).toHaveLength(8)
    for (let cut = 0; cut <= file.length; cut++) {
      const whole = boundaries.filter((b) => b <= cut).length - 1
      const { events, partialTail } = readEventFile(file.subarray(0, cut))
      expect(events).toHaveLength(whole)
      const lastBoundary = boundaries[whole]!
      expect(partialTail).toEqual(cut === lastBoundary ? null : { offset: lastBoundary, bytes: cut - lastBoundary })
    }
  })
})
