import type { Reporter, TestModule } from 'vitest/node'
import { SHARED_TAG } from '../helpers/shared-assets'

/**
 * Ends the run with one line per skipped test and its reason (from `ctx.skip(reason)`), then the
 * plain "N passed, N failed, N skipped" line CI reads. No test is skipped silently.
 */
export default class SkipReasonsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const skipped: string[] = []
    // A file that fails to load has no tests to count: without this it would read "0 failed".
    const unloaded = testModules.filter((module) => module.state() === 'failed' && module.children.allTests().next().done).length
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result()
        if (result.state === 'passed') counts.passed++
        else if (result.state === 'failed') counts.failed++
        else if (result.state === 'skipped') {
          counts.skipped++
          skipped.push(`  - ${module.moduleId.replace(`${process.cwd()}/`, '')} › ${test.fullName}: ${result.note ?? 'no reason given'}`)
        }
      }
    }
    if (skipped.length > 0) console.log(`\nSkipped unit tests (${skipped.length}):\n${skipped.join('\n')}`)
    const forShared = skipped.filter((line) => line.includes(SHARED_TAG)).length
    const files = unloaded > 0 ? `, ${unloaded} test file${unloaded === 1 ? '' : 's'} failed to load` : ''
    console.log(`\nunit: ${counts.passed} passed, ${counts.failed} failed${files}, ${counts.skipped} skipped (${forShared} for want of ../shared)`)
  }
}
