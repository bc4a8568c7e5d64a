import { describe, expect, it } from 'vitest'
import type { LabelChange, LabelHistory, LibrarySummary, SuggestionSummary } from '../../../src-main/contract/types'
import { writeSuggestions } from '../../../src-main/db/queries/suggestions'
import { createRun } from '../../../src-main/db/queries/training-runs'
import { useLabelingProject } from '../../helpers/labeling-project'

// A label change carries what it moved (undo/redo, count deltas, classes) so the UI never asks
// again. The contract: what was shown before, moved by what the change carries, is exactly what a
// fresh library.summary / suggestions.summary / labels.history answers afterwards.

const project = useLabelingProject()

interface Shown {
  library: LibrarySummary
  suggestions: SuggestionSummary | null
  history: LabelHistory
}

async function reread(): Promise<Shown> {
  const p = project()
  return {
    library: await p.value('library.summary', {}),
    suggestions: await p.value('suggestions.summary', {}),
    history: await p.value('labels.history', {})
  }
}

/** What a view does with a change: the arithmetic the renderer's LabelChangeFeed applies. */
function applied(shown: Shown, change: LabelChange): Shown {
  const perClass = new Map(change.counts.perClass.map(({ classId, delta }) => [classId, delta]))
  const classes = (change.classes ?? shown.library.classes).map((c) => (change.classes ? c : { ...c, count: c.count + (perClass.get(c.id) ?? 0) }))
  const library = {
    ...shown.library,
    labeled: shown.library.labeled + change.counts.labeled,
    unlabeled: shown.library.unlabeled - change.counts.labeled,
    classes,
    labelsPerMinute: change.counts.labelsPerMinute
  }
  let suggestions = shown.suggestions
  if (suggestions) {
    const atLeast = [...suggestions.atLeast]
    let count = suggestions.count
    for (const { percent, delta } of change.counts.suggestions) {
      count += delta
      for (let n = 0; n <= percent; n++) atLeast[n]! += delta
    }
    suggestions = { ...suggestions, count, atLeast }
  }
  return { library, suggestions, history: change.history }
}

describe('what a label change carries', () => {
  it('moves the shown counts, suggestions and undo/redo exactly to what a re-read answers', async () => {
    const p = project()
    const ids = p.images([{}, {}, {}, {}, {}, { status: 'failed' }])
    const [dog, cat] = await p.classes('dog', 'cat')
    const runId = createRun(p.db(), { modelKind: 'cnn', settings: {}, classNames: ['dog', 'cat'], backend: null })
    writeSuggestions(
      p.db(),
      runId,
      [
        { imageId: ids[0]!, classId: cat!, confidence: 0.91 },
        { imageId: ids[1]!, classId: dog!, confidence: 0.55 },
        { imageId: ids[2]!, classId: cat!, confidence: 0.3 }
      ],
      1_700_000_000_000
    )
    let shown = await reread()
    const step = async (change: LabelChange | null) => {
      expect(change).not.toBeNull()
      const now = await reread()
      shown = applied(shown, change!)
      // When classes changed the suggestion counts are re-read (a deleted class hides untouched images' suggestions).
      if (change!.classes !== null) shown.suggestions = now.suggestions
      expect(shown).toEqual(now)
    }

    // A failed image can carry a label, but counts nowhere: its move is left out.
    await step(await p.value('labels.assign', { imageIds: [ids[0]!, ids[1]!, ids[5]!], classId: cat! }))
    expect(shown.library).toMatchObject({ labeled: 2, unlabeled: 3 })
    expect(shown.suggestions).toMatchObject({ count: 1 })
    await step(await p.value('labels.assign', { imageIds: [ids[1]!, ids[3]!], classId: dog! }))
    await step(await p.value('labels.assign', { imageIds: [ids[0]!], classId: null }))
    await step(await p.value('labels.undo', {}))
    await step(await p.value('labels.undo', {}))
    await step(await p.value('labels.redo', {}))
    await step(await p.value('suggestions.accept', { imageIds: [ids[2]!] }))
    // Classes themselves change: the change carries the whole list.
    await step(await p.value('classes.merge', { sourceId: dog!, targetId: cat! }))
    expect(shown.library.classes.map((c) => c.name)).toEqual(['cat'])
    await step(await p.value('labels.undo', {}))
    expect(shown.library.classes.map((c) => c.name)).toEqual(['dog', 'cat'])
    await step(await p.value('classes.delete', { id: cat! }))
    expect(shown.library.labeled).toBe(2)
  })

  it('gives every change its own id, the same in the answer and in the event', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const [a] = p.images(1)
    p.events.length = 0
    const first = await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    const second = await p.value('labels.undo', {})
    expect(first.changeId).not.toBe(second!.changeId)
    expect(p.events.map((event) => (event.payload as LabelChange).changeId)).toEqual([first.changeId, second!.changeId])
  })
})
