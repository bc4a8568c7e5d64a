import { describe, expect, it } from 'vitest'
import { useLabelingProject } from '../../helpers/labeling-project'

// classes.create/update/merge/delete and their undo, through the real services.

const project = useLabelingProject()

const classRow = (id: number) =>
  project().db().prepare('SELECT name, hotkey, deleted_at AS deletedAt FROM classes WHERE id = ?').get(id) as {
    name: string
    hotkey: string | null
    deletedAt: number | null
  }

const listed = async () => (await project().value('classes.list', {})).map((c) => ({ name: c.name, hotkey: c.hotkey, count: c.count }))

describe('classes.create and classes.update', () => {
  it('hands out hotkeys 1–9, then letters, skipping keys already taken', async () => {
    const p = project()
    await p.value('classes.create', { name: 'first', hotkey: '3' })
    await p.value('classes.create', { name: 'lettered', hotkey: 'a' })
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`)
    await p.classes(...names)
    const keys = (await p.value('classes.list', {})).map((c) => c.hotkey)
    expect(keys).toEqual(['3', 'a', '1', '2', '4', '5', '6', '7', '8', '9', 'b', 'c'])
    const created = await p.value('classes.create', { name: 'no key', hotkey: null })
    expect(created).toMatchObject({ name: 'no key', hotkey: null, count: 0, position: 12 })
    expect(created.color).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('gives an explicit hotkey to the new class, taking it from the class that had it', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    expect(classRow(cat!).hotkey).toBe('1')
    const dog = await p.value('classes.create', { name: 'dog', hotkey: '1' })
    expect(dog.hotkey).toBe('1')
    expect(classRow(cat!).hotkey).toBeNull()
    await p.value('classes.update', { id: cat!, hotkey: '1' })
    expect([classRow(cat!).hotkey, classRow(dog.id).hotkey]).toEqual(['1', null])
  })

  it('refuses a second live class with the same name (ALREADY_EXISTS), trimming the name first', async () => {
    const p = project()
    await p.classes('cat')
    const error = await p.failure('classes.create', { name: '  cat ' }, 'ALREADY_EXISTS')
    expect(error.message).toContain('cat')
    expect(p.count('classes')).toBe(1)
  })

  it('renames a class, refusing a name another live class has', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const renamed = await p.value('classes.update', { id: cat!, name: 'kitten', color: '#123abc' })
    expect(renamed).toMatchObject({ id: cat, name: 'kitten', color: '#123abc' })
    await p.value('classes.update', { id: cat!, name: 'kitten' }) // its own name is no clash
    await p.failure('classes.update', { id: dog!, name: 'kitten' }, 'ALREADY_EXISTS')
    expect(classRow(dog!).name).toBe('dog')
    await p.failure('classes.update', { id: 9999, name: 'ghost' }, 'NOT_FOUND')
  })

  it('validates colours and hotkeys at the contract boundary (INVALID_REQUEST)', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    for (const color of ['#FFF', 'red', '#FF8800', '#ff880', '']) {
      await p.failure('classes.create', { name: `c ${color}`, color }, 'INVALID_REQUEST')
      await p.failure('classes.update', { id: cat!, color }, 'INVALID_REQUEST')
    }
    for (const hotkey of ['z', 'Z', 'ab', '!', '']) {
      await p.failure('classes.create', { name: `k ${hotkey}`, hotkey }, 'INVALID_REQUEST')
      await p.failure('classes.update', { id: cat!, hotkey }, 'INVALID_REQUEST')
    }
    await p.failure('classes.create', { name: '   ' }, 'INVALID_REQUEST')
    expect(await listed()).toEqual([{ name: 'cat', hotkey: '1', count: 0 }])
  })

  it('announces class changes with a labels.changed event carrying the new class list', async () => {
    const p = project()
    p.events.length = 0
    const [cat] = await p.classes('cat')
    await p.value('classes.update', { id: cat!, name: 'kitten' })
    const noCounts = { perClass: [], labeled: 0, suggestions: [] }
    expect(p.events).toMatchObject([
      { name: 'labels.changed', payload: { description: 'Added class cat', imageIds: [], counts: noCounts, classes: [{ id: cat, name: 'cat' }] } },
      { name: 'labels.changed', payload: { description: 'Updated class kitten', imageIds: [], counts: noCounts, classes: [{ id: cat, name: 'kitten' }] } }
    ])
  })
})

describe('classes.merge', () => {
  it('relabels every image of the source as the target and soft-deletes the source; undo and redo', async () => {
    const p = project()
    const [cat, kitten, dog] = await p.classes('cat', 'kitten', 'dog')
    const ids = p.images(5)
    await p.value('labels.assign', { imageIds: ids.slice(0, 2), classId: cat! })
    await p.value('labels.assign', { imageIds: ids.slice(2, 4), classId: kitten! })
    await p.value('labels.assign', { imageIds: [ids[4]!], classId: dog! })

    const merged = await p.value('classes.merge', { sourceId: kitten!, targetId: cat! })
    expect(merged.description).toBe('Merge kitten into cat (2 images)')
    expect([...merged.imageIds].sort((x, y) => x - y)).toEqual(ids.slice(2, 4))
    expect(p.labelsOf(ids)).toEqual([cat, cat, cat, cat, dog])
    expect(await listed()).toEqual([
      { name: 'cat', hotkey: '1', count: 4 },
      { name: 'dog', hotkey: '3', count: 1 }
    ])
    expect(classRow(kitten!)).toMatchObject({ name: 'kitten', hotkey: null, deletedAt: expect.any(Number) })
    expect(p.db().prepare('SELECT deletes_class_id FROM label_actions ORDER BY id DESC LIMIT 1').pluck().get()).toBe(kitten)

    const undone = await p.value('labels.undo', {})
    expect(undone?.description).toBe('Undo: Merge kitten into cat (2 images)')
    expect(p.labelsOf(ids)).toEqual([cat, cat, kitten, kitten, dog])
    expect(classRow(kitten!).deletedAt).toBeNull()
    expect((await listed()).map((c) => [c.name, c.count])).toEqual([['cat', 2], ['kitten', 2], ['dog', 1]])

    await p.value('labels.redo', {})
    expect(p.labelsOf(ids)).toEqual([cat, cat, cat, cat, dog])
    expect(classRow(kitten!).deletedAt).not.toBeNull()
    expect((await listed()).map((c) => c.name)).toEqual(['cat', 'dog'])
    expect(p.count('images')).toBe(5)
  })

  it('refuses to merge a class into itself (INVALID_REQUEST) or with a missing class (NOT_FOUND)', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    await p.failure('classes.merge', { sourceId: cat!, targetId: cat! }, 'INVALID_REQUEST')
    await p.failure('classes.merge', { sourceId: cat!, targetId: 9999 }, 'NOT_FOUND')
    await p.value('classes.delete', { id: dog! })
    await p.failure('classes.merge', { sourceId: dog!, targetId: cat! }, 'NOT_FOUND')
    expect(classRow(cat!).deletedAt).toBeNull()
    expect(p.count('label_actions')).toBe(1)
  })
})

describe('classes.delete', () => {
  it('unlabels the class’s images (never deletes them) and undo brings class and labels back', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const ids = p.images(3)
    await p.value('labels.assign', { imageIds: ids.slice(0, 2), classId: cat! })
    await p.value('labels.assign', { imageIds: [ids[2]!], classId: dog! })
    const deleted = await p.value('classes.delete', { id: cat! })
    expect(deleted.description).toBe('Delete class cat (2 images now unlabeled)')
    expect(p.labelsOf(ids)).toEqual([null, null, dog])
    expect(p.count('images')).toBe(3)
    expect((await listed()).map((c) => c.name)).toEqual(['dog'])
    expect((await p.value('library.summary', {})).unlabeled).toBe(2)
    await p.failure('classes.delete', { id: cat! }, 'NOT_FOUND')

    // Its hotkey is free for a new class at once.
    expect((await p.value('classes.create', { name: 'bird' })).hotkey).toBe('1')
    await p.value('labels.undo', {})
    expect(p.labelsOf(ids)).toEqual([cat, cat, dog])
    expect(classRow(cat!)).toMatchObject({ name: 'cat', deletedAt: null })
    expect((await listed()).map((c) => [c.name, c.count])).toEqual([['cat', 2], ['dog', 1], ['bird', 0]])
  })

  it('lets a new class reuse a deleted class’s name', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    await p.value('classes.delete', { id: cat! })
    const again = await p.value('classes.create', { name: 'cat' })
    expect(again.id).not.toBe(cat)
    expect(p.count('classes', "name = 'cat'")).toBe(2)
    expect((await listed()).map((c) => c.name)).toEqual(['cat'])
  })

  it('an undo of a deletion whose name was reused meanwhile never leaves a half-undone state', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const [a] = p.images(1)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.value('classes.delete', { id: cat! })
    const reused = await p.value('classes.create', { name: 'cat' })
    const envelope = await p.services.call('labels.undo', {})
    expect(envelope.ok).toBe(true)
    // The old class comes back under a free name; both are live, names distinct, the label restored.
    expect(p.labelsOf([a!])).toEqual([cat])
    expect(classRow(reused.id).deletedAt).toBeNull()
    expect((await listed()).map((c) => c.name).sort()).toEqual(['cat', 'cat (2)'])
  })

  // Regression test for a fixed bug: undoing a class deletion (or a merge) after a new live class took the deleted class's name
  // runs `UPDATE classes SET deleted_at = NULL`, which violates the partial unique index
  // classes_live_name; the SqliteError reaches the dispatcher as INTERNAL ("labels.undo failed
  // unexpectedly: UNIQUE constraint failed: classes.name"), and the user can never undo past it.
  it('undoing a deletion whose name was reused is handled (not an INTERNAL error)', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    await p.value('classes.delete', { id: cat! })
    await p.value('classes.create', { name: 'cat' })
    const envelope = await p.services.call('labels.undo', {})
    expect(envelope.ok ? null : envelope.error.code).not.toBe('INTERNAL')
  })

  // Same fixed bug through a rename: merge kitten into cat, rename dog to "kitten", undo the merge.
  it('undoing a merge whose source name was taken by a rename is handled (not an INTERNAL error)', async () => {
    const p = project()
    const [cat, kitten, dog] = await p.classes('cat', 'kitten', 'dog')
    await p.value('classes.merge', { sourceId: kitten!, targetId: cat! })
    await p.value('classes.update', { id: dog!, name: 'kitten' })
    const envelope = await p.services.call('labels.undo', {})
    expect(envelope.ok ? null : envelope.error.code).not.toBe('INTERNAL')
  })

  // Regression test for a fixed bug: labels.undo / labels.redo only announce a change when images changed, so undoing the
  // deletion of an empty class brings the class back without any labels.changed event: other
  // windows keep a class list without it (events.ts: "Labels or classes changed").
  it('announces the class coming back when undoing the deletion of an empty class', async () => {
    const p = project()
    const [bird] = await p.classes('bird')
    await p.value('classes.delete', { id: bird! })
    p.events.length = 0
    await p.value('labels.undo', {})
    expect(classRow(bird!).deletedAt).toBeNull()
    expect(p.events.filter((event) => event.name === 'labels.changed')).not.toEqual([])
  })
})
