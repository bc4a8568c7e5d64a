// The per-class table of the run comparison: one row per class any evaluated run has, matched by
// class id (a run trained without a class has no figure for it), with each run's delta against the
// first run, the baseline.

export type ClassMetric = 'f1' | 'recall'

/** What the table reads of a compared run (contract/run-compare.ts ComparedRun), spelled out so node-side tests can import this file. */
export interface RunClassFigures {
  evaluation: { perClass: readonly ({ classId: number; name: string } & Record<ClassMetric, number | null>)[] } | null
}

export interface ClassRow {
  classId: number
  name: string
  /** Per run, in comparison order: the figure, or null when the run has none (not evaluated, no such class, no images). */
  values: (number | null)[]
  /** Per run: its figure minus the baseline's; null for the baseline and wherever either side is missing. */
  deltas: (number | null)[]
}

/** How the rows are ordered: by class (as the runs list them) or by one run's delta, largest first or last. */
export type ClassSort = { by: 'class' } | { by: 'delta'; runIndex: number; descending: boolean }

export function classRows(runs: readonly RunClassFigures[], metric: ClassMetric): ClassRow[] {
  const names = new Map<number, string>()
  for (const run of runs) for (const entry of run.evaluation?.perClass ?? []) if (!names.has(entry.classId)) names.set(entry.classId, entry.name)
  const byRun = runs.map((run) => new Map((run.evaluation?.perClass ?? []).map((entry) => [entry.classId, entry[metric]])))
  return [...names].map(([classId, name]) => {
    const values = byRun.map((figures) => figures.get(classId) ?? null)
    const baseline = values[0] ?? null
    const deltas = values.map((value, index) => (index === 0 || value === null || baseline === null ? null : value - baseline))
    return { classId, name, values, deltas }
  })
}

/** `rows` in `sort` order; rows without a delta go last either way, then by class order. */
export function sortRows(rows: readonly ClassRow[], sort: ClassSort): ClassRow[] {
  if (sort.by === 'class') return [...rows]
  const key = (row: ClassRow) => row.deltas[sort.runIndex] ?? null
  return rows
    .map((row, order) => ({ row, order }))
    .toSorted((a, b) => {
      const x = key(a.row)
      const y = key(b.row)
      if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0) || a.order - b.order
      return (sort.descending ? y - x : x - y) || a.order - b.order
    })
    .map(({ row }) => row)
}

/** A figure as a percentage ("87.5 %"), or "—". */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)} %`
}

/** A delta in percentage points with its sign ("+4.2", "−1.0", "0.0"), or "—". */
export function points(delta: number | null): string {
  if (delta === null) return '—'
  const rounded = Math.round(delta * 1000) / 10
  if (rounded === 0) return '0.0'
  return `${rounded > 0 ? '+' : '−'}${Math.abs(rounded).toFixed(1)}`
}

/** A setting's value as the table shows it: "—" when the run has no such setting. */
export function settingText(settings: Record<string, unknown>, key: string): string {
  if (!Object.hasOwn(settings, key)) return '—'
  const value = settings[key]
  if (value === null) return 'auto'
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
