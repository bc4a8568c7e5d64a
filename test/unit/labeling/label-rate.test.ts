import { describe, expect, it } from 'vitest'
import { useLabelingProject } from '../../helpers/labeling-project'

// Issue 14, finding 11: right after 12 labels in 2 s the Label view read "1.2 per minute" — the
// labels of the last 10 minutes spread over all 10. The rate is now the pace of active labeling:
// images labeled over the time spent labeling, each pause between label actions counted up to 30 s.

describe('the labeling rate', () => {
  const project = useLabelingProject()

  /** Labels each image on its own (as key presses do), then dates the actions `msAgo` (oldest first). */
  async function labelOneByOne(imageIds: number[], classId: number, msAgo: number[]): Promise<void> {
    const p = project()
    const first = (p.db().prepare('SELECT coalesce(max(id), 0) FROM label_actions').pluck().get() as number) + 1
    for (const id of imageIds) await p.value('labels.assign', { imageIds: [id], classId })
    const date = p.db().prepare('UPDATE label_actions SET created_at = ? WHERE id = ?')
    const now = Date.now()
    msAgo.forEach((ago, index) => date.run(now - ago, first + index))
  }

  const rate = async () => (await project().value('library.summary', {})).labelsPerMinute

  it('is the pace of a burst: 12 labels in 2 s is about 330 a minute, not 1.2', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const ids = p.images(12)
    // One label every 2000/11 ms: eleven pauses over 2 s, eleven images after the first.
    await labelOneByOne(ids, cat!, ids.map((_, index) => Math.round(2000 - (index * 2000) / 11)))
    expect(await rate()).toBe(330)
  })

  it('leaves breaks out: two bursts around a five-minute pause count the pause as 30 s', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const ids = p.images(20)
    // 10 labels 3 s apart, 5 minutes away, 10 more 3 s apart: 19 labels over 18 × 3 s + 30 s = 84 s.
    const before = Array.from({ length: 10 }, (_, index) => 400_000 - index * 3000)
    const after = Array.from({ length: 10 }, (_, index) => 30_000 - index * 3000)
    await labelOneByOne(ids.slice(0, 10), cat!, before)
    await labelOneByOne(ids.slice(10), dog!, after)
    expect(await rate()).toBe(13.6)
  })

  it('counts a bulk label by its images, no undone or cleared ones, nothing older than 10 minutes, and no pace from one action', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const ids = p.images(40)
    await p.value('labels.assign', { imageIds: ids.slice(0, 20), classId: cat! })
    // One action is not a pace yet.
    expect(await rate()).toBe(0)
    await p.value('labels.assign', { imageIds: ids.slice(20, 24), classId: cat! })
    await p.value('labels.assign', { imageIds: ids.slice(0, 3), classId: null }) // time spent, nothing labeled
    await p.value('labels.assign', { imageIds: ids.slice(24, 30), classId: cat! })
    await p.value('labels.undo', {})
    await p.value('labels.assign', { imageIds: ids.slice(30, 35), classId: cat! })
    const actions = p.db().prepare('SELECT id FROM label_actions WHERE undone = 0 ORDER BY id').pluck().all() as number[]
    expect(actions).toHaveLength(4)
    const date = p.db().prepare('UPDATE label_actions SET created_at = ? WHERE id = ?')
    const now = Date.now()
    // 20 images at -18 s, 4 at -12 s, the clearing at -6 s, 5 now: 9 labeled after the first over 18 s.
    ;[-18_000, -12_000, -6_000, 0].forEach((offset, index) => date.run(now + offset, actions[index]!))
    expect(await rate()).toBe(30)
    // The oldest leaves the 10-minute window: 5 labeled over the 12 s from the 4-image action.
    date.run(now - 11 * 60_000, actions[0]!)
    expect(await rate()).toBe(25)
  })
})
