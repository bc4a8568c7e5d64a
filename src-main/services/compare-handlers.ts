import type { Database } from 'better-sqlite3'
import type { ComparedEvaluation, ComparedRun, RunComparison } from '../contract/run-compare'
import { TRAIN_SETTING_KEYS } from '../contract/train-settings'
import type { RunSummary } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { labelCountsByClassAndSplit } from '../db/queries/labels'
import { evaluationReport } from '../review/evaluate-report'
import type { ServiceContext } from './context'
import { requireRun } from './records'

/** Runs compared side by side (Train view): settings, curves and per-class figures of each. */
export function compareHandlers({ session }: ServiceContext): Pick<Handlers, 'runs.compare'> {
  return {
    'runs.compare': ({ runIds }) => {
      const db = session.db
      // Every id first: a missing one answers NOT_FOUND before anything is read.
      const runs = runIds.map((runId) => requireRun(db, runId))
      const split = hasLabeledTestImages(db) ? 'test' : 'val'
      return compareRuns(
        runs.map((run) => comparedRun(db, run, split)),
        split
      )
    }
  }
}

/** Per-class figures come from the test split; a project without labeled test images has only validation to show. */
function hasLabeledTestImages(db: Database): boolean {
  return labelCountsByClassAndSplit(db).some((count) => count.split === 'test' && count.n > 0)
}

function comparedRun(db: Database, run: RunSummary, split: RunComparison['split']): ComparedRun {
  const report = evaluationReport(db, run.id, split)
  const evaluation: ComparedEvaluation | null = report && {
    accuracy: report.accuracy,
    count: report.count,
    stale: report.stale,
    computedAt: report.computedAt,
    perClass: report.perClass
  }
  return {
    id: run.id,
    modelKind: run.modelKind,
    status: run.status,
    settings: run.settings,
    epochs: run.epochs,
    summary: { valAccuracy: run.summary?.valAccuracy ?? null, testAccuracy: run.summary?.testAccuracy ?? null },
    hasModel: run.hasModel,
    evaluation
  }
}

/** The comparison of `runs` (in order): every setting key, and those whose values are not all the same. */
export function compareRuns(runs: ComparedRun[], split: RunComparison['split']): RunComparison {
  const present = new Set(runs.flatMap((run) => Object.keys(run.settings)))
  const known: readonly string[] = TRAIN_SETTING_KEYS
  const settingKeys = [...known.filter((key) => present.has(key)), ...[...present].filter((key) => !known.includes(key)).sort()]
  const differingSettings = settingKeys.filter((key) => {
    // Settings are plain JSON values; a key one run lacks is `undefined`, which no stored value equals.
    const values = runs.map((run) => (Object.hasOwn(run.settings, key) ? JSON.stringify(run.settings[key]) : undefined))
    return values.some((value) => value !== values[0])
  })
  return { split, runs, settingKeys, differingSettings }
}
