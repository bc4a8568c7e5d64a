import type { Reporter, TestModule } from 'vitest/node'

/**
 * Ends the run with one line per skipped test and its reason (from `ctx.skip(reason)`), then the
 * plain "N passed, N failed, N skipped" line CI reads. No test is skipped silently.
 */
export default class SkipReasonsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const skipped: string[] = []
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
    console.log(`\nunit: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  }
}
