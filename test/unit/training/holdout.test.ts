import { describe, expect, it } from 'vitest'
import { HOLDOUT_FRACTION, withValidation } from '../../../src-main/training/holdout'

const example = (imageId: number, split: 'train' | 'val' | 'test' | null, contentHash = `${imageId}`.padStart(64, '0')) => ({
  imageId,
  split,
  contentHash
})

describe('withValidation', () => {
  it('holds out about a tenth of the training images when there is no validation split', () => {
    const examples = [...Array.from({ length: 1000 }, (_, i) => example(i, 'train')), example(5000, 'test')]
    const { examples: result, heldOut } = withValidation(examples)
    expect(heldOut).toBe(result.filter((e) => e.split === 'val').length)
    expect(heldOut / 1000).toBeGreaterThan(HOLDOUT_FRACTION - 0.03)
    expect(heldOut / 1000).toBeLessThan(HOLDOUT_FRACTION + 0.03)
    expect(result.find((e) => e.imageId === 5000)!.split).toBe('test')
    // The same images every run, and exact duplicates (same hash) on the same side.
    expect(withValidation(examples).examples).toEqual(result)
    const twins = withValidation([...examples, example(9999, 'train', result.find((e) => e.split === 'val')!.contentHash)])
    expect(twins.examples.find((e) => e.imageId === 9999)!.split).toBe('val')
  })

  it('leaves projects with a validation split, or too few images, alone', () => {
    const withVal = [...Array.from({ length: 50 }, (_, i) => example(i, 'train')), example(100, 'val')]
    expect(withValidation(withVal)).toEqual({ examples: withVal, heldOut: 0 })
    const few = Array.from({ length: 10 }, (_, i) => example(i, 'train'))
    expect(withValidation(few)).toEqual({ examples: few, heldOut: 0 })
  })
})
