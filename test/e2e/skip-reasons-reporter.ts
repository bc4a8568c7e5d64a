import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter'
import { SHARED_TAG } from '../helpers/shared-assets'

/**
 * Lists every skipped test with its reason at the end of the run (no test is skipped silently),
 * then the plain "N passed, N failed, N skipped" line CI reads.
 */
export default class SkipReasonsReporter implements Reporter {
  readonly #skipped: string[] = []
  readonly #counts = { passed: 0, failed: 0, skipped: 0 }

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === 'passed') this.#counts.passed++
    else if (result.status !== 'skipped') this.#counts.failed++
    if (result.status !== 'skipped') return
    this.#counts.skipped++
    const reason = test.annotations.find((annotation) => annotation.type === 'skip')?.description ?? 'no reason given'
    this.#skipped.push(`  - ${test.titlePath().filter(Boolean).slice(1).join(' › ')}: ${reason}`)
  }

  onEnd(): void {
    if (this.#skipped.length > 0) {
      console.log(`\nSkipped end-to-end tests (${this.#skipped.length}):\n${this.#skipped.join('\n')}`)
    }
    const { passed, failed, skipped } = this.#counts
    const forShared = this.#skipped.filter((line) => line.includes(SHARED_TAG)).length
    console.log(`\ne2e: ${passed} passed, ${failed} failed, ${skipped} skipped (${forShared} for want of ../shared)`)
  }

  printsToStdio(): boolean {
    return false
  }
}
