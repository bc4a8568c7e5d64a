// The run report as one HTML file: no script, no network, charts as inline SVG and thumbnails as
// data: URIs, so it opens anywhere and prints to PDF one section per page. Every user string passes
// through `html` (escaped); section bodies live in report-sections.ts.
import { LABEL_ORIGINS, SPLIT_ORIGINS } from '../dataset/dataset-card'
import { transferInfoOf } from '../classifier/transfer-info'
import { html, type Markup } from './html'
import type { ReportData } from './report-data'
import { date, duration, percent, settingValue } from './report-format'
import { curvesSection, intendedUseSection, labelIssuesSection, limitsSection, metricsSection, robustnessSection } from './report-sections'

const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; background: #fff; max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
  h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
  table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .muted { color: #666; } .todo { border: 2px dashed #b36b00; padding: .75rem 1rem; color: #6b4000; }
  .confusion td { text-align: right; min-width: 2.5rem; } .confusion td.diag { font-weight: 600; outline: 2px solid #2a7; outline-offset: -2px; }
  .thumbs { display: flex; gap: .5rem; flex-wrap: wrap; } .thumbs figure { margin: 0; width: 112px; font-size: 11px; word-break: break-all; }
  .thumbs img { width: 112px; height: 112px; object-fit: contain; border: 1px solid #ccc; background: #fff; }
  .chart { max-width: 100%; height: auto; margin-right: 1rem; } .chart text { font-size: 11px; fill: #333; } .chart .chart-title { font-size: 13px; font-weight: 600; }
  .chart .grid { stroke: #e4e4e4; } .chart .axis { stroke: #555; }
  section { break-inside: auto; }
  @media print {
    body { max-width: none; padding: 0; font-size: 11pt; color: #000; }
    section { break-before: page; } section.title { break-before: auto; }
    table, figure, svg, .pair { break-inside: avoid; }
    .todo { color: #000; }
  }
`

const MODEL_NAMES: Record<string, string> = { cnn: 'seed CNN', mobilenetv2: 'MobileNetV2 head', onnx: 'imported ONNX model' }

export function renderReport(data: ReportData): string {
  const { run, project, model } = data
  const title = `${project.name} — run ${run.id} (${MODEL_NAMES[run.modelKind] ?? run.modelKind})`
  const body = html`
<section class="title">
  <h1>${title}</h1>
  <p class="muted">Model card written by Pictor on ${date(data.generatedAt)} from ${project.path}.</p>
  <h2>1. Model</h2>
  <table>
    <tr><th>Project</th><td>${project.name}</td></tr>
    <tr><th>Run</th><td>#${run.id}, ${run.status}, created ${date(run.createdAt)}</td></tr>
    <tr><th>Model</th><td>${model.title} (${model.kind}): ${model.origin}</td></tr>
    ${model.baseModel ? html`<tr><th>Base model</th><td>${model.baseModel.title}<br>version ${model.baseModel.version}<br>licence: ${model.baseModel.license}</td></tr>` : html`<tr><th>Base model</th><td>none: trained from scratch</td></tr>`}
    ${model.imported ? html`<tr><th>Imported</th><td>from ${model.imported.source} on ${date(model.imported.importedAt)}; originally ${model.imported.originalKind}${model.imported.writtenBy ? `, written by Pictor ${model.imported.writtenBy}` : ''}; metadata from ${model.imported.metadataFrom}</td></tr>` : ''}
    <tr><th>Classes</th><td>${run.classNames.join(', ')}</td></tr>
  </table>
</section>
${trainingSection(data)}
${dataSection(data)}
${curvesSection(data)}
${metricsSection(data)}
${robustnessSection(data)}
${labelIssuesSection(data)}
${limitsSection(data)}
${intendedUseSection()}`
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${html`${title}`}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`
}

function trainingSection(data: ReportData): Markup {
  const { run, input } = data
  const summary = run.summary
  const asTrained = transferInfoOf(summary)?.settings ?? null
  const keys = [...new Set([...Object.keys(run.settings), ...Object.keys(asTrained ?? {})])]
  return html`
<section>
  <h2>2. Preprocessing and training</h2>
  <h3>Preprocessing</h3>
  ${input
    ? html`<table>
    <tr><th>Input size</th><td>${input.width} × ${input.height} px, ${input.channels === 1 ? '1 channel (greyscale)' : `${input.channels} channels (RGB)`}</td></tr>
    <tr><th>Scaling</th><td>${input.scaling}</td></tr>
    <tr><th>Recipe</th><td>${input.description}</td></tr>
  </table>`
    : html`<p class="muted">Not recorded for this run.</p>`}
  <h3>Training</h3>
  <table>
    <tr><th>Backend</th><td>${run.backend ?? '—'}</td></tr>
    <tr><th>Started</th><td>${date(run.startedAt)}</td></tr>
    <tr><th>Finished</th><td>${date(run.finishedAt)}</td></tr>
    <tr><th>Duration</th><td>${duration(run.startedAt, run.finishedAt)}</td></tr>
    <tr><th>Epochs run</th><td>${summary?.epochsRun ?? run.epochs.length}</td></tr>
    <tr><th>Best epoch</th><td>${summary?.bestEpoch ?? '—'}</td></tr>
    <tr><th>Stopped early</th><td>${summary ? (summary.stoppedEarly ? 'yes (no validation improvement)' : 'no') : '—'}</td></tr>
    <tr><th>Validation / test accuracy at the end of training</th><td>${percent(summary?.valAccuracy)} / ${percent(summary?.testAccuracy)}</td></tr>
    ${run.error ? html`<tr><th>Error</th><td>${run.error}</td></tr>` : ''}
  </table>
  ${summary && summary.notes.length > 0 ? html`<h3>Notes</h3><ul>${summary.notes.map((note) => html`<li>${note}</li>`)}</ul>` : ''}
  <h3>Settings</h3>
  <table>
    <tr><th>Setting</th><th>Chosen</th>${asTrained ? html`<th>As trained (after automatic choices)</th>` : ''}</tr>
    ${keys.map((key) => html`<tr><td>${key}</td><td>${key in run.settings ? settingValue(run.settings[key]) : '—'}</td>${asTrained ? html`<td>${key in asTrained ? settingValue(asTrained[key]) : '—'}</td>` : ''}</tr>`)}
  </table>
</section>`
}

function dataSection(data: ReportData): Markup {
  const card = data.data
  const splitName = (split: string) => ({ train: 'train', val: 'validation', test: 'test', unsplit: 'no split' })[split] ?? split
  const columnTotals = card.splits.map((split) => card.classes.reduce((sum, entry) => sum + (entry.counts[split] ?? 0), 0))
  return html`
<section>
  <h2>3. Data card</h2>
  <p>Images per class and split, by the project's current labels (readable images with a label on a live class).</p>
  <table>
    <tr><th>Class</th>${card.splits.map((split) => html`<th class="num">${splitName(split)}</th>`)}<th class="num">total</th></tr>
    ${card.classes.map((entry) => html`<tr><td>${entry.name}</td>${card.splits.map((split) => html`<td class="num">${entry.counts[split] ?? 0}</td>`)}<td class="num">${entry.total}</td></tr>`)}
    <tr><th>All classes</th>${columnTotals.map((n) => html`<th class="num">${n}</th>`)}<th class="num">${columnTotals.reduce((a, b) => a + b, 0)}</th></tr>
  </table>
  <h3>Where labels and splits came from</h3>
  <ul>
    ${card.labelOrigins.map(([origin, n]) => html`<li>${n} image${n === 1 ? '' : 's'} ${origin === 'none' ? 'unlabeled' : `labeled by ${LABEL_ORIGINS[origin as keyof typeof LABEL_ORIGINS] ?? origin}`}</li>`)}
    ${card.splitOrigins.map(([origin, n]) => html`<li>${n} image${n === 1 ? '' : 's'}: split ${SPLIT_ORIGINS[origin] ?? 'never assigned'}</li>`)}
  </ul>
  <h3>Duplicates and leakage</h3>
  <ul>
    <li>Exact duplicates (same SHA-256): ${card.exactDuplicates.groups === 0 ? 'none' : `${card.exactDuplicates.groups} groups, ${card.exactDuplicates.images} images`}.</li>
    <li>Leakage groups (exact or near-duplicate images kept in one split): ${card.leakage.groups === 0 ? 'none' : `${card.leakage.groups} groups, ${card.leakage.images} images`}${card.leakage.split > 0 ? `; ${card.leakage.split} of them span several splits (set by folders or by hand)` : ''}.</li>
    <li>Flagged by the label-issue scan and still carrying the flagged label: ${card.flagged}.</li>
    <li>Left out: ${card.leftOut.failed} unreadable, ${card.leftOut.missing} missing, ${card.leftOut.unlabeled} unlabeled images.</li>
  </ul>
</section>`
}

/** The file's <h2> headings in order: the UI and the tests check the report against them. */
export const SECTION_HEADINGS = [
  '1. Model',
  '2. Preprocessing and training',
  '3. Data card',
  '4. Training curves',
  '5. Metrics',
  '6. Robustness (FGSM)',
  '7. Label issues',
  '8. Known limits',
  '9. Intended use and out-of-scope uses'
] as const
