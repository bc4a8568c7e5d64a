import { describe, expect, it } from 'vitest'
import type { SplitInput } from '../../../src-main/db/queries/splits'
import { datasetStats, leakageStats } from '../../../src-main/dataset/dataset-stats'

describe('dataset stats', () => {
  it('tallies label and split origins, exact duplicates and flagged images', () => {
    const stats = datasetStats([
      { labelOrigin: 'folder', splitOrigin: 'folder', contentHash: 'aa', labelIssueScore: null },
      { labelOrigin: 'folder', splitOrigin: 'auto', contentHash: 'aa', labelIssueScore: 0.1 },
      { labelOrigin: 'import', splitOrigin: null, contentHash: 'bb', labelIssueScore: null },
      { labelOrigin: null, splitOrigin: 'user', contentHash: null, labelIssueScore: null }
    ])
    expect([...stats.labelOrigins]).toEqual([['folder', 2], ['import', 1], ['none', 1]])
    expect([...stats.splitOrigins]).toEqual([['folder', 1], ['auto', 1], ['none', 1], ['user', 1]])
    expect(stats.exactDuplicateGroups).toEqual([2])
    expect(stats.flagged).toBe(1)
  })

  it('counts near-duplicate groups, and those that span splits', () => {
    const image = (id: number, contentHash: string, phash: string | null, split: SplitInput['split']): SplitInput => ({ id, contentHash, phash, classId: 1, split, splitOrigin: 'folder' })
    const stats = leakageStats([
      image(1, 'a1', '0000000000000000', 'train'),
      image(2, 'a2', '0000000000000001', 'test'), // 1 bit from image 1: the same picture, in another split
      image(3, 'b1', 'ffffffffffffffff', 'train'),
      image(4, 'b1', null, 'train'), // byte-identical to image 3, same split
      image(5, 'c1', '0f0f0f0f0f0f0f0f', 'val')
    ])
    expect(stats).toEqual({ groups: 2, images: 4, split: 1 })
  })
})
