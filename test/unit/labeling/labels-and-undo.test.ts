import { describe, expect, it } from 'vitest'
import { useLabelingProject } from '../../helpers/labeling-project'

// labels.assign and its undo/redo history, through the real services on a real project file.

const project = useLabelingProject()

/** Every label_changes row of the newest action, as (image, old, new). */
function lastActionChanges() {
  const p = project()
  const actionId = p.db().prepare('SELECT max(id) FROM label_actions').pluck().get() as number
  return p
    .db()
    .prepare('SELECT image_id AS imageId, old_class_id AS oldClassId, new_class_id AS newClassId FROM label_changes WHERE action_id = ? ORDER BY image_id')
    .all(actionId)
}

describe('labels.assign', () => {
  it('labels and unlabels images, writing labels with origin user and one history row per image', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const [a, b] = p.images(2)
    const labeled = await p.value('labels.assign', { imageIds: [a!, b!], classId: cat! })
    expect(labeled).toMatchObject({ description: 'Label 2 images as cat', imageIds: [a, b] })
    expect(p.labelsOf([a!, b!])).toEqual([cat, cat])
    expect(p.db().prepare('SELECT DISTINCT origin FROM labels').pluck().all()).toEqual(['user'])
    expect(lastActionChanges()).toEqual([
      { imageId: a, oldClassId: null, newClassId: cat },
      { imageId: b, oldClassId: null, newClassId: cat }
    ])
    const cleared = await p.value('labels.assign', { imageIds: [a!], classId: null })
    expect(cleared).toMatchObject({ description: 'Remove the label of image', imageIds: [a] })
    expect(p.labelsOf([a!, b!])).toEqual([null, cat])
    expect(p.count('labels')).toBe(1)
  })

  it('leaves unchanged images out and records no action when nothing changes', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const [a, b, c] = p.images(3)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    const mixed = await p.value('labels.assign', { imageIds: [a!, b!, b!], classId: cat! })
    expect(mixed).toMatchObject({ description: 'Label image as cat', imageIds: [b] })
    expect(lastActionChanges()).toEqual([{ imageId: b, oldClassId: null, newClassId: cat }])
    expect(p.count('label_actions')).toBe(2)

    const same = await p.value('labels.assign', { imageIds: [a!, b!], classId: cat! })
    expect(same.imageIds).toEqual([])
    const alreadyUnlabeled = await p.value('labels.assign', { imageIds: [c!], classId: null })
    expect(alreadyUnlabeled.imageIds).toEqual([])
    expect(p.count('label_actions')).toBe(2)
    expect(await p.value('labels.history', {})).toEqual({ undo: 'Label image as cat', redo: null })
  })

  it('refuses an unknown or deleted class with NOT_FOUND, writing nothing', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a] = p.images(1)
    await p.value('classes.delete', { id: dog! })
    const actions = p.count('label_actions')
    expect((await p.failure('labels.assign', { imageIds: [a!], classId: dog! }, 'NOT_FOUND')).message).toContain(`class ${dog}`)
    await p.failure('labels.assign', { imageIds: [a!], classId: 9999 }, 'NOT_FOUND')
    expect(p.labelsOf([a!])).toEqual([null])
    expect(p.count('label_actions')).toBe(actions)
    expect(cat).toBeGreaterThan(0)
  })

  it('refuses unknown image ids with NOT_FOUND and rolls the whole assignment back', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a, b] = p.images(2)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.value('labels.assign', { imageIds: [b!], classId: dog! })
    await p.value('labels.undo', {}) // leaves a redo entry that a committed action would discard
    const before = p.db().prepare('SELECT * FROM label_actions ORDER BY id').all()

    const error = await p.failure('labels.assign', { imageIds: [a!, b!, 424242], classId: dog! }, 'NOT_FOUND')
    expect(error.message).toContain('424242')
    expect(p.labelsOf([a!, b!])).toEqual([cat, null])
    expect(p.db().prepare('SELECT * FROM label_actions ORDER BY id').all()).toEqual(before)
    expect(p.count('label_changes')).toBe(2)
    expect(await p.value('labels.history', {})).toEqual({ undo: 'Label image as cat', redo: 'Label image as dog' })
  })

  // Regression test for a fixed bug (minor, inconsistent validation): Labeling.assign only checks that the images it *changes*
  // exist, and an unknown id is "unlabeled" already, so clearing labels with an unknown id succeeds
  // and still writes the known images, while labeling with the same ids answers NOT_FOUND.
  it('refuses unknown image ids with NOT_FOUND when clearing labels too', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const [a] = p.images(1)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.failure('labels.assign', { imageIds: [a!, 424242], classId: null }, 'NOT_FOUND')
    expect(p.labelsOf([a!])).toEqual([cat])
  })

  it('records a bulk assignment of many images as one action', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const ids = p.images(500)
    const change = await p.value('labels.assign', { imageIds: ids, classId: cat! })
    expect(change.description).toBe('Label 500 images as cat')
    expect(p.count('label_actions')).toBe(1)
    expect(p.count('label_changes')).toBe(500)
    await p.value('labels.undo', {})
    expect(p.count('labels')).toBe(0)
  })
})

describe('labels.undo and labels.redo', () => {
  it('undo restores exactly the previous labels, including unlabeled and a different class; redo re-applies', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a, b, c] = p.images(3)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.value('labels.assign', { imageIds: [b!], classId: dog! })
    // a: cat → dog, b: dog (unchanged), c: unlabeled → dog
    await p.value('labels.assign', { imageIds: [a!, b!, c!], classId: dog! })
    expect(p.labelsOf([a!, b!, c!])).toEqual([dog, dog, dog])

    const undone = await p.value('labels.undo', {})
    expect(undone).toMatchObject({ description: 'Undo: Label 2 images as dog', imageIds: expect.arrayContaining([a, c]) })
    expect(undone?.imageIds).toHaveLength(2)
    expect(p.labelsOf([a!, b!, c!])).toEqual([cat, dog, null])
    expect(await p.value('labels.history', {})).toEqual({ undo: 'Label image as dog', redo: 'Label 2 images as dog' })

    const redone = await p.value('labels.redo', {})
    expect(redone?.description).toBe('Redo: Label 2 images as dog')
    expect(p.labelsOf([a!, b!, c!])).toEqual([dog, dog, dog])
    expect(await p.value('labels.redo', {})).toBeNull()
  })

  it('walks back through several actions and forward again in order', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a] = p.images(1)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.value('labels.assign', { imageIds: [a!], classId: dog! })
    await p.value('labels.assign', { imageIds: [a!], classId: null })
    const states: (number | null)[] = []
    for (let i = 0; i < 3; i++) {
      await p.value('labels.undo', {})
      states.push(p.labelsOf([a!])[0]!)
    }
    expect(states).toEqual([dog, cat, null])
    expect(await p.value('labels.undo', {})).toBeNull()
    await p.value('labels.redo', {})
    await p.value('labels.redo', {})
    expect(p.labelsOf([a!])).toEqual([dog])
    expect(await p.value('labels.history', {})).toEqual({ undo: 'Label image as dog', redo: 'Remove the label of image' })
  })

  it('a new action after an undo discards the redo stack', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a, b] = p.images(2)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.value('labels.assign', { imageIds: [a!], classId: dog! })
    await p.value('labels.undo', {})
    expect((await p.value('labels.history', {})).redo).toBe('Label image as dog')
    await p.value('labels.assign', { imageIds: [b!], classId: cat! })
    expect(await p.value('labels.history', {})).toEqual({ undo: 'Label image as cat', redo: null })
    expect(await p.value('labels.redo', {})).toBeNull()
    expect(p.count('label_actions', 'undone = 1')).toBe(0)
    expect(p.labelsOf([a!, b!])).toEqual([cat, cat])
  })

  it('undo with nothing to undo answers null and changes nothing', async () => {
    const p = project()
    expect(await p.value('labels.undo', {})).toBeNull()
    expect(await p.value('labels.redo', {})).toBeNull()
    expect(await p.value('labels.history', {})).toEqual({ undo: null, redo: null })
    expect(p.events.filter((event) => event.name === 'labels.changed')).toEqual([])
  })

  it('keeps undo and redo across project.close / project.open and across a new services instance', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a, b] = p.images(2)
    await p.value('labels.assign', { imageIds: [a!], classId: cat! })
    await p.value('labels.assign', { imageIds: [a!, b!], classId: dog! })
    await p.value('labels.undo', {})

    await p.value('project.close', {})
    await p.failure('labels.history', {}, 'NO_PROJECT')
    await p.value('project.open', { path: p.path })
    expect(await p.value('labels.history', {})).toEqual({ undo: 'Label image as cat', redo: 'Label 2 images as dog' })
    expect(p.labelsOf([a!, b!])).toEqual([cat, null])

    await p.restart()
    expect((await p.value('labels.redo', {}))?.description).toBe('Redo: Label 2 images as dog')
    expect(p.labelsOf([a!, b!])).toEqual([dog, dog])
    await p.restart()
    await p.value('labels.undo', {})
    await p.value('labels.undo', {})
    expect(p.labelsOf([a!, b!])).toEqual([null, null])
  })

  it('puts back who decided each label: undo restores a folder label as folder, redo of a model accept stays model', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const [a, b] = p.images(2)
    const origins = () => p.db().prepare('SELECT image_id AS imageId, class_id AS classId, origin FROM labels ORDER BY image_id').all()
    // A label that came from the folder layout, then relabeled by hand and undone.
    p.db().prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'folder', 0)").run(a!, cat!)
    await p.value('labels.assign', { imageIds: [a!], classId: dog! })
    expect(origins()).toEqual([{ imageId: a, classId: dog, origin: 'user' }])
    await p.value('labels.undo', {})
    expect(origins()).toEqual([{ imageId: a, classId: cat, origin: 'folder' }])
    // An accepted model suggestion (of a finished run), undone and redone.
    p.db()
      .prepare("INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (901, 'cnn', 'done', '{}', '[]', 0)")
      .run()
    p.db().prepare('INSERT INTO suggestions (image_id, run_id, class_id, confidence, computed_at) VALUES (?, 901, ?, 0.9, 0)').run(b!, dog!)
    await p.value('suggestions.accept', { imageIds: [b!] })
    expect(origins()).toContainEqual({ imageId: b, classId: dog, origin: 'model' })
    await p.value('labels.undo', {})
    expect(origins()).not.toContainEqual(expect.objectContaining({ imageId: b }))
    await p.value('labels.redo', {})
    expect(origins()).toContainEqual({ imageId: b, classId: dog, origin: 'model' })
  })
})

describe('labels.changed events and the labeling rate', () => {
  it('emits labels.changed for every committed change, and none for a no-op', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const [a, b] = p.images(2)
    p.events.length = 0
    await p.value('labels.assign', { imageIds: [a!, b!], classId: cat! })
    await p.value('labels.assign', { imageIds: [a!], classId: cat! }) // no-op
    await p.value('labels.undo', {})
    await p.value('labels.redo', {})
    expect(p.events).toMatchObject([
      { name: 'labels.changed', payload: { description: 'Label 2 images as cat', imageIds: [a, b] } },
      { name: 'labels.changed', payload: { description: 'Undo: Label 2 images as cat', imageIds: expect.arrayContaining([a, b]) } },
      { name: 'labels.changed', payload: { description: 'Redo: Label 2 images as cat', imageIds: expect.arrayContaining([a, b]) } }
    ])
  })
})
