import { DEFAULT_SERVE_PORT, type ServeSnapshot } from '@contract/serve'
import type { RunSummary } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { keptOrNewest, runsWithModel } from '../usable-runs'

/** Request-rate points kept for the sparkline: one per report, about a minute. */
const RATE_POINTS = 60

/**
 * The Monitor view: which run to serve and on which port; the server's figures as main reports them
 * ('serve.stats' events, about once a second: nothing here polls). The server belongs to main, not to
 * this view: leaving the view keeps it running, and coming back shows it again.
 */
export class MonitorState {
  #runs = $state.raw<RunSummary[]>([])
  runId = $state<number | null>(null)
  port = $state(DEFAULT_SERVE_PORT)
  #busy = $state(false)
  #error = $state<string | null>(null)
  #snapshot = $state.raw<ServeSnapshot | null>(null)
  #stoppedBecause = $state<string | null>(null)
  #rates = $state.raw<{ at: number; rate: number }[]>([])
  readonly #unsubscribe: (() => void)[]

  constructor(private readonly api: Client) {
    this.#unsubscribe = [
      api.on('serve.stats', ({ snapshot, stoppedBecause }) => {
        this.#show(snapshot)
        if (!snapshot && stoppedBecause) this.#stoppedBecause = stoppedBecause
      }),
      api.on('library.changed', ({ reason }) => {
        if (reason === 'training' || reason === 'run deleted' || reason === 'run imported') void this.loadRuns()
      })
    ]
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
  }

  get runs() {
    return this.#runs
  }
  get busy() {
    return this.#busy
  }
  get error() {
    return this.#error
  }
  get snapshot() {
    return this.#snapshot
  }
  get stoppedBecause() {
    return this.#stoppedBecause
  }
  get rates() {
    return this.#rates
  }
  get running(): boolean {
    return this.#snapshot !== null
  }
  get portValid(): boolean {
    return Number.isInteger(this.port) && this.port >= 0 && this.port <= 65535
  }
  get canStart(): boolean {
    return !this.#busy && !this.running && this.runId !== null && this.portValid
  }
  /** The one-line example for a terminal. */
  get curl(): string {
    return this.#snapshot ? `curl --data-binary @cat.jpg ${this.#snapshot.url}/predict` : ''
  }

  async load(): Promise<void> {
    await this.loadRuns()
    try {
      this.#show(await this.api.call('serve.status', {}))
    } catch (error) {
      this.#error = message(error)
    }
  }

  async loadRuns(): Promise<void> {
    try {
      const runs = await this.api.call('runs.list', {})
      this.#runs = runsWithModel(runs)
      this.runId = keptOrNewest(this.runId, this.#runs)
    } catch (error) {
      this.#error = message(error)
    }
  }

  async start(): Promise<void> {
    if (!this.canStart) return
    await this.#act(async () => {
      await this.api.call('serve.start', { runId: this.runId!, port: this.port })
      // The figures come as an event; ask once too, in case this window missed it while connecting.
      this.#show(await this.api.call('serve.status', {}))
    })
  }

  async stop(): Promise<void> {
    if (this.#busy) return
    await this.#act(async () => {
      await this.api.call('serve.stop', {})
      this.#show(null)
    })
  }

  async #act(action: () => Promise<void>): Promise<void> {
    this.#busy = true
    this.#error = null
    this.#stoppedBecause = null
    try {
      await action()
    } catch (error) {
      this.#error = message(error)
    } finally {
      this.#busy = false
    }
  }

  #show(snapshot: ServeSnapshot | null): void {
    const previous = this.#snapshot
    this.#snapshot = snapshot
    if (!snapshot) {
      this.#rates = []
      return
    }
    if (previous && previous.startedAt !== snapshot.startedAt) this.#rates = []
    this.runId = snapshot.runId
    this.#rates = [...this.#rates, { at: Date.now(), rate: snapshot.requestRate }].slice(-RATE_POINTS)
  }
}

const message = (error: unknown) => (error instanceof ApiError ? error.message : String(error))
