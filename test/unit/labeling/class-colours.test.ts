import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { followJob } from '../../../src-main/cli/job-session'
import { unwrap } from '../../../src-main/cli/output'
import { useLabelingProject } from '../../helpers/labeling-project'
import { writeGroups } from '../../helpers/training-project'

// Issue 14 (polish seen in screenshots): with 12 flower classes 'bluebell' and 'tigerlily' were both
// blue — ten palette colours, two of them blues, then round again. New classes now get the first of
// twenty colours no live class wears, chosen to stay apart.

/** CIE76 distance between two #rrggbb colours in CIELAB (D65). */
function deltaE(a: string, b: string): number {
  const lab = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    }) as [number, number, number]
    const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116)
    const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047)
    const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b)
    const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    return [116 * y - 16, 500 * (x - y), 200 * (y - z)]
  }
  const [p, q] = [lab(a), lab(b)]
  return Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!)
}

function closestPair(colors: readonly string[]): number {
  let closest = Infinity
  for (let i = 0; i < colors.length; i++) for (let j = i + 1; j < colors.length; j++) closest = Math.min(closest, deltaE(colors[i]!, colors[j]!))
  return closest
}

describe('class colours', () => {
  const project = useLabelingProject()

  it('gives twenty new classes twenty distinct colours, the first twelve far apart', async () => {
    const p = project()
    const names = Array.from({ length: 20 }, (_, index) => `class ${index + 1}`)
    await p.classes(...names)
    const colors = (await p.value('classes.list', {})).map((item) => item.color)
    expect(new Set(colors).size).toBe(20)
    expect(closestPair(colors.slice(0, 12))).toBeGreaterThan(30)
    expect(closestPair(colors)).toBeGreaterThan(24)
  })

  it('hands a deleted class’s colour to the next new class instead of repeating one in use', async () => {
    const p = project()
    const ids = await p.classes('a', 'b', 'c', 'd')
    const before = await p.value('classes.list', {})
    await p.value('classes.delete', { id: ids[1]! })
    const [created] = await p.classes('e')
    const after = await p.value('classes.list', {})
    expect(after.find((item) => item.id === created)!.color).toBe(before[1]!.color)
    expect(new Set(after.map((item) => item.color)).size).toBe(after.length)
  })

  it('gives the twelve class folders of an import twelve colours that stay apart', async () => {
    const p = project()
    const folder = join(p.dir, 'flowers')
    const flowers = ['bluebell', 'buttercup', 'crocus', 'daffodil', 'daisy', 'dandelion', 'iris', 'lily', 'pansy', 'snowdrop', 'sunflower', 'tigerlily']
    await writeGroups(folder, flowers.map((dir) => ({ dir, look: 'red' as const, count: 1 })))
    const never = new AbortController().signal
    await followJob(p.services, async () => unwrap(await p.services.call('import.start', { folder })), () => {}, never)
    const classes = await p.value('classes.list', {})
    expect(classes.map((item) => item.name)).toEqual(flowers)
    const color = (name: string) => classes.find((item) => item.name === name)!.color
    expect(deltaE(color('bluebell'), color('tigerlily'))).toBeGreaterThan(30)
    expect(closestPair(classes.map((item) => item.color))).toBeGreaterThan(30)
  })
})
