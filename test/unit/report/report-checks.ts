import { expect } from 'vitest'
import type { Evaluation } from '../../../src-main/contract/types'
import { escapeHtml } from '../../../src-main/report/html'
import { SECTION_HEADINGS } from '../../../src-main/report/report-html'
import { interval, percent } from '../../../src-main/report/report-format'
import { wilson } from '../../../src-main/report/wilson'

/** What every report must hold, checked against the evaluation the Review view would show. */
export function expectCompleteReport(text: string, evaluations: { test: Evaluation; val: Evaluation | null }): void {
  for (const heading of SECTION_HEADINGS) expect(text).toContain(`>${heading}</h2>`)
  // Self-contained: no script at all, and nothing fetched from anywhere.
  expect(text).not.toMatch(/<script/i)
  expect(text).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i)
  expect(text).not.toMatch(/url\(/i)
  for (const evaluation of [evaluations.test, evaluations.val]) {
    if (!evaluation || evaluation.count === 0) continue
    const correct = evaluation.confusion.reduce((sum, row, index) => sum + row[index]!, 0)
    expect(text).toContain(`Accuracy <strong>${percent(evaluation.accuracy)}</strong> (${correct} of ${evaluation.count} images), 95 % interval ${interval(wilson(correct, evaluation.count))}`)
    evaluation.confusion.forEach((row, index) => {
      const cells = row.map((count) => `<td[^>]*>${count}</td>`).join('')
      expect(text).toMatch(new RegExp(`<tr><th>${escapeRegExp(escapeHtml(evaluation.labels[index]!))}</th>${cells}</tr>`))
    })
    for (const [index, metrics] of evaluation.perClass.entries()) {
      const predicted = evaluation.confusion.reduce((sum, row) => sum + row[index]!, 0)
      const hits = evaluation.confusion[index]![index]!
      expect(text).toContain(
        `<tr><td>${escapeHtml(metrics.name)}</td><td class="num">${percent(metrics.precision)}</td><td class="num">${interval(wilson(hits, predicted))}</td>` +
          `<td class="num">${percent(metrics.recall)}</td><td class="num">${interval(wilson(hits, metrics.support))}</td><td class="num">${percent(metrics.f1)}</td><td class="num">${metrics.support}</td></tr>`
      )
    }
  }
}

/** Thumbnails the report must embed: up to 4 for each of a split's 5 largest off-diagonal cells. */
export function expectedThumbnails(evaluations: (Evaluation | null)[]): number {
  return evaluations.reduce((sum, evaluation) => {
    const cells = (evaluation?.confusion ?? []).flatMap((row, t) => row.filter((count, p) => t !== p && count > 0))
    return sum + cells.toSorted((a, b) => b - a).slice(0, 5).reduce((n, count) => n + Math.min(4, count), 0)
  }, 0)
}

/** Every embedded image is a WebP data: URI. */
export function thumbnailCount(text: string): number {
  expect(text.match(/<img [^>]*>/g) ?? []).toEqual(text.match(/<img alt="[^"]+" src="data:image\/webp;base64,[A-Za-z0-9+/=]+">/g) ?? [])
  return (text.match(/<img /g) ?? []).length
}

/** The data card's row of one class: its count in each split, then the total. */
export function classRow(name: string, counts: number[]): string {
  return `<tr><td>${escapeHtml(name)}</td>${counts.map((n) => `<td class="num">${n}</td>`).join('')}<td class="num">${counts.reduce((a, b) => a + b, 0)}</td></tr>`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
