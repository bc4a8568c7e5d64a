// Sections 4–9 of the run report: curves, metrics with their intervals, confusion and its images,
// robustness, label issues, limits and the owner's part. Markup only; the numbers come from report-data.ts.
import { html, type Markup } from './html'
import type { ReportData, SplitMetrics } from './report-data'
import { date, interval, percent } from './report-format'
import { lineChart } from './report-svg'

const TRAIN_COLOR = '#1f5fa8'
const VAL_COLOR = '#c2410c'

export function curvesSection({ run }: ReportData): Markup {
  if (run.epochs.length === 0) return html`<section><h2>4. Training curves</h2><p class="muted">No epochs recorded (an imported model, or a run stopped before its first epoch).</p></section>`
  const at = (pick: (epoch: (typeof run.epochs)[number]) => number | null) => run.epochs.map((epoch) => ({ x: epoch.epoch, y: pick(epoch) }))
  const loss = lineChart({
    title: 'Loss per epoch',
    xLabel: 'epoch',
    yLabel: 'cross-entropy loss',
    series: [
      { name: 'training', color: TRAIN_COLOR, points: at((epoch) => epoch.loss) },
      { name: 'validation', color: VAL_COLOR, dashed: true, points: at((epoch) => epoch.valLoss) }
    ]
  })
  const accuracy = lineChart({
    title: 'Accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    yRange: [0, 1],
    formatY: (value) => `${Math.round(value * 100)} %`,
    series: [
      { name: 'training', color: TRAIN_COLOR, points: at((epoch) => epoch.accuracy) },
      { name: 'validation', color: VAL_COLOR, dashed: true, points: at((epoch) => epoch.valAccuracy) }
    ]
  })
  return html`
<section>
  <h2>4. Training curves</h2>
  <div>${loss}${accuracy}</div>
  <p class="muted">Solid: training split; dashed: validation split. ${run.summary?.bestEpoch ? `The model kept is the one from epoch ${run.summary.bestEpoch}.` : ''}</p>
</section>`
}

export function metricsSection(data: ReportData): Markup {
  const evaluated = data.metrics[0]?.evaluation
  return html`
<section>
  <h2>5. Metrics</h2>
  ${evaluated
    ? html`<p class="muted">Predictions by ${evaluated.engine} on ${date(evaluated.computedAt)}, scored against the current labels. Intervals are 95 % Wilson score intervals.</p>`
    : html`<p class="muted">This run has no stored evaluation.</p>`}
  ${data.metrics.map(splitMetrics)}
</section>`
}

function splitMetrics(metrics: SplitMetrics): Markup {
  const { evaluation } = metrics
  const name = metrics.split === 'test' ? 'Test split' : 'Validation split'
  if (evaluation.count === 0) return html`<h3>${name}</h3><p class="muted">No labeled images in this split.</p>`
  return html`
  <h3>${name}</h3>
  <p>Accuracy <strong>${percent(evaluation.accuracy)}</strong> (${metrics.correct} of ${evaluation.count} images), 95 % interval ${interval(metrics.accuracyInterval)}.${evaluation.stale ? ' Labels changed since the run trained.' : ''}</p>
  <table>
    <tr><th>Class</th><th class="num">Precision</th><th class="num">95 % interval</th><th class="num">Recall</th><th class="num">95 % interval</th><th class="num">F1</th><th class="num">Support</th></tr>
    ${metrics.perClass.map(
      (entry) =>
        html`<tr><td>${entry.name}</td><td class="num">${percent(entry.precision)}</td><td class="num">${interval(entry.precisionInterval)}</td><td class="num">${percent(entry.recall)}</td><td class="num">${interval(entry.recallInterval)}</td><td class="num">${percent(entry.f1)}</td><td class="num">${entry.support}</td></tr>`
    )}
  </table>
  <h4>Confusion matrix (rows: label, columns: prediction)</h4>
  ${confusionTable(evaluation.labels, evaluation.confusion)}
  <h4>Most confused pairs</h4>
  ${metrics.confusedPairs.length === 0
    ? html`<p class="muted">No mistakes in this split.</p>`
    : metrics.confusedPairs.map(
        (pair) => html`<div class="pair"><p><strong>${pair.trueName}</strong> predicted as <strong>${pair.predictedName}</strong>: ${pair.count} image${pair.count === 1 ? '' : 's'}</p>
  <div class="thumbs">${pair.images.map((image) => html`<figure>${image.uri ? html`<img alt="${image.relPath}" src="${image.uri}">` : html`<span class="muted">(unreadable)</span>`}<figcaption>${image.relPath}</figcaption></figure>`)}</div></div>`
      )}`
}

/** Cells shaded by their share of the row (the label's images), so a weak class stands out. */
function confusionTable(labels: readonly string[], confusion: readonly (readonly number[])[]): Markup {
  return html`<table class="confusion">
    <tr><th></th>${labels.map((label) => html`<th>${label}</th>`)}</tr>
    ${confusion.map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0)
      return html`<tr><th>${labels[t]!}</th>${row.map((count, p) => {
        const share = total === 0 ? 0 : count / total
        // Light tints only (print-safe): blue for right answers, orange for mistakes.
        const tint = t === p ? `rgba(31, 95, 168, ${(share * 0.45).toFixed(3)})` : `rgba(194, 65, 12, ${(share * 0.45).toFixed(3)})`
        return html`<td class="${t === p ? 'diag' : ''}" style="background: ${tint}">${count}</td>`
      })}</tr>`
    })}
  </table>`
}

export function robustnessSection({ robustness }: ReportData): Markup {
  if (!robustness) return html`<section><h2>6. Robustness (FGSM)</h2><p>Not computed — run it from Review.</p></section>`
  const rows = robustness.points.map((point) => html`<tr><td class="num">${(point.epsilon * 255).toFixed(1)}/255</td><td class="num">${percent(point.accuracy)}</td><td class="num">${percent(point.singleStep)}</td></tr>`)
  return html`
<section>
  <h2>6. Robustness (FGSM)</h2>
  <p>Accuracy of ${robustness.count} ${robustness.split} images under the fast gradient sign attack, computed ${date(robustness.computedAt)}. "Any step up to ε" counts an image right only if no FGSM step up to ε fools the model.</p>
  <table><tr><th class="num">ε</th><th class="num">Any step up to ε</th><th class="num">One step of ε</th></tr>${rows}</table>
</section>`
}

export function labelIssuesSection({ labelIssues }: ReportData): Markup {
  if (!labelIssues) return html`<section><h2>7. Label issues</h2><p>No label-issue scan has been run on this project — run it from Review.</p></section>`
  return html`
<section>
  <h2>7. Label issues</h2>
  <p>The last scan (${labelIssues.folds}-fold confident learning over ${labelIssues.examined} labeled images, ${date(labelIssues.computedAt)}) flagged ${labelIssues.found} images as possibly mislabeled.</p>
  <table>
    <tr><th>Found</th><td class="num">${labelIssues.found}</td></tr>
    <tr><th>Relabeled (suggestion accepted)</th><td class="num">${labelIssues.relabeled}</td></tr>
    <tr><th>Kept (label confirmed)</th><td class="num">${labelIssues.kept}</td></tr>
    <tr><th>Pending</th><td class="num">${labelIssues.pending}</td></tr>
  </table>
</section>`
}

export function limitsSection({ limits }: ReportData): Markup {
  return html`
<section>
  <h2>8. Known limits</h2>
  <p class="muted">Derived from the data; they say what the figures above cannot promise.</p>
  ${limits.length === 0 ? html`<p>None found.</p>` : html`<ul>${limits.map((limit) => html`<li>${limit}</li>`)}</ul>`}
</section>`
}

export function intendedUseSection(): Markup {
  return html`
<section>
  <h2>9. Intended use and out-of-scope uses</h2>
  <div class="todo">
    <p><strong>To be written by the model's owner.</strong> Pictor cannot know what this model is for.</p>
    <p>Intended use: …</p>
    <p>Out-of-scope uses: …</p>
  </div>
</section>`
}
