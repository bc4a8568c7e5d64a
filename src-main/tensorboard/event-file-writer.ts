// Writes a TensorBoard event file (the format of tf.summary.create_file_writer) without
// TensorFlow: TFRecord-framed Event protos in one append-only file per writer. Records are kept in
// memory until flush(), which appends them and fsyncs, so a training loop decides how often it pays
// for a disk sync (once per epoch is plenty) and a kill loses at most what came after the last one.
// Everything is synchronous: records are small, and a sync writer cannot reorder or lose writes.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { encodeEvent, type EventMessage, type SummaryValueMessage } from './event-proto'
import { histogramValue, imageValue, scalarValue, textValue } from './summary-values'
import { frameRecord } from './tfrecord'

export interface PngImage {
  png: Uint8Array
  width: number
  height: number
}

export interface EventFileWriterOptions {
  /** Seconds since the epoch, fractions allowed; default Date.now() / 1000. Tests pin it. */
  wallTime?: () => number
  /** Goes into the file name, as TensorFlow puts the host there; default os.hostname(). */
  host?: string
}

/** The first record of every event file; TensorBoard reads "brain.Event:2" as the TF 2 format. */
const FILE_VERSION = 'brain.Event:2'

/** How many other names open() tries when a writer already made this second's file in the folder. */
const NAME_ATTEMPTS = 100

export class EventFileWriter {
  private pending: Uint8Array[] = []
  private fd: number | null

  private constructor(
    readonly path: string,
    fd: number,
    private readonly wallTime: () => number
  ) {
    this.fd = fd
  }

  /**
   * mkdir -p `dir`; creates `events.out.tfevents.<unix seconds>.<host>.pictor.v2` there and writes
   * and flushes the first record Event{wall_time, file_version: "brain.Event:2"}. Throws the fs
   * error (the caller turns it into a notice).
   */
  static open(dir: string, options: EventFileWriterOptions = {}): EventFileWriter {
    const wallTime = options.wallTime ?? (() => Date.now() / 1000)
    const host = sanitizeHost(options.host ?? hostname())
    mkdirSync(dir, { recursive: true })
    const now = wallTime()
    const { path, fd } = createFile(dir, `events.out.tfevents.${Math.floor(now)}.${host}.pictor`)
    const writer = new EventFileWriter(path, fd, wallTime)
    try {
      writer.append({ wallTime: now, fileVersion: FILE_VERSION })
      writer.flush()
    } catch (error) {
      writer.close()
      throw error
    }
    return writer
  }

  /** A number over steps: the Scalars dashboard. */
  scalar(tag: string, value: number, step: number): void {
    this.summary(scalarValue(tag, value), step)
  }

  /** Markdown: the Text dashboard. */
  text(tag: string, markdown: string, step: number): void {
    this.summary(textValue(tag, markdown), step)
  }

  /** A PNG: the Images dashboard, one image per tag and step. */
  image(tag: string, image: PngImage, step: number): void {
    this.summary(imageValue(tag, image.png, image.width, image.height), step)
  }

  /** The distribution of `values` (e.g. a layer's weights): the Histograms and Distributions dashboards. */
  histogram(tag: string, values: ArrayLike<number>, step: number): void {
    this.summary(histogramValue(tag, values), step)
  }

  /** Appends the buffered records to the file and fsyncs: after it returns, a kill leaves every record written so far readable. */
  flush(): void {
    const fd = this.openFd()
    if (this.pending.length > 0) {
      const bytes = Buffer.concat(this.pending)
      // Cleared first: if the disk refuses, retrying would write the records a second time.
      this.pending = []
      let written = 0
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
    }
    fsyncSync(fd)
  }

  /** Flushes and closes the file. Closing twice is harmless; writing after close throws. */
  close(): void {
    if (this.fd === null) return
    try {
      this.flush()
    } finally {
      closeSync(this.fd)
      this.fd = null
    }
  }

  private summary(value: SummaryValueMessage, step: number): void {
    if (!Number.isSafeInteger(step)) throw new RangeError(`an event step must be an integer, not ${step}`)
    // step 0 is proto3's default and so not written, as TensorFlow leaves it out.
    this.append({ wallTime: this.wallTime(), ...(step !== 0 ? { step } : {}), summary: { value: [value] } })
  }

  private append(event: EventMessage): void {
    this.openFd()
    this.pending.push(frameRecord(encodeEvent(event)))
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`the event file ${this.path} is closed`)
    return this.fd
  }
}

/** A host name is part of a file name: keep it to characters that are safe on every disk. */
function sanitizeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost'
}

/**
 * Creates the file exclusively, so two writers never append to one file. A second writer in the
 * same folder and second (a quick restart) gets `<stem>.2.v2`, `<stem>.3.v2`, ...; TensorBoard reads
 * every file whose name contains "tfevents".
 */
function createFile(dir: string, stem: string): { path: string; fd: number } {
  for (let attempt = 1; ; attempt++) {
    const path = join(dir, attempt === 1 ? `${stem}.v2` : `${stem}.${attempt}.v2`)
    try {
      return { path, fd: openSync(path, 'wx') }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= NAME_ATTEMPTS) throw error
    }
  }
}
