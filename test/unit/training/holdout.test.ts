import { describe, expect, it } from 'vitest'
import { HOLDOUT_FRACTION, MIN_VALIDATION_IMAGES, withValidation } from '../../../src-main/training/holdout'

const example = (imageId: number, split: 'train' | 'val' | 'test' | null, contentHash = `${imageId}`.padStart(64, '0')) => ({
  imageId,
  split,
  contentHash
})

const trainImages = (count: number) => Array.from({ length: count }, (_, i) => example(i, 'train'))
const valImages = (count: number) => Array.from({ length: count }, (_, i) => example(10_000 + i, 'val'))

describe('withValidation', () => {
  it('holds out about a tenth of the training images when there is no validation split', () => {
    const examples = [...trainImages(1000), example(5000, 'test')]
    const { examples: result, heldOut, note } = withValidation(examples)
    expect(heldOut).toBe(result.filter((e) => e.split === 'val').length)
    expect(heldOut / 1000).toBeGreaterThan(HOLDOUT_FRACTION - 0.03)
    expect(heldOut / 1000).toBeLessThan(HOLDOUT_FRACTION + 0.03)
    expect(note).toBe(`the project has no validation split: ${heldOut} training images were held out for validation in this run`)
    expect(result.find((e) => e.imageId === 5000)!.split).toBe('test')
    // The same images every run, and exact duplicates (same hash) on the same side.
    expect(withValidation(examples).examples).toEqual(result)
    const twins = withValidation([...examples, example(9999, 'train', result.find((e) => e.split === 'val')!.contentHash)])
    expect(twins.examples.find((e) => e.imageId === 9999)!.split).toBe('val')
  })

  it('leaves a validation set of 30 or more, and projects too small to hold out from, alone', () => {
    const enough = [...trainImages(500), ...valImages(MIN_VALIDATION_IMAGES)]
    expect(withValidation(enough)).toEqual({ examples: enough, heldOut: 0, note: null })
    const few = trainImages(10)
    expect(withValidation(few)).toEqual({ examples: few, heldOut: 0, note: null })
  })

  // Issue 14, finding 2: "validation 100 %" on 4 images.
  it('tops a validation set too small to mean anything up from train, keeping the project’s own val images', () => {
    const examples = [...trainImages(770), ...valImages(4)]
    const { examples: result, heldOut, note } = withValidation(examples)
    expect(heldOut).toBeGreaterThan(50)
    expect(result.filter((e) => e.split === 'val')).toHaveLength(4 + heldOut)
    for (const original of valImages(4)) expect(result.find((e) => e.imageId === original.imageId)!.split).toBe('val')
    expect(note).toBe(
      `the project has only 4 validation images, too few to judge a model (at least 30 are needed): ${heldOut} training images were held out ` +
        `for validation in this run as well (${4 + heldOut} in all); Balance → Assign splits makes a lasting validation set`
    )
  })

  it('warns, without holding out, when even a hold-out could not reach 30', () => {
    const examples = [...trainImages(50), ...valImages(1)]
    expect(withValidation(examples)).toEqual({
      examples,
      heldOut: 0,
      note: 'only 1 validation image: one image moves validation accuracy by 100 points, so read it as a rough guess (at least 30 are needed to compare runs)'
    })
  })
})
