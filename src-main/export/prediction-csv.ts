// CSV for `pictor predict --csv`: one header, then one row per image as it is predicted.
import type { PredictionRow } from './predict-folder'

/** path, label, probability (the best class), then label_2, probability_2 … label_k, probability_k, error. */
export function csvHeader(top: number): string {
  const columns = ['path', 'label', 'probability']
  for (let rank = 2; rank <= top; rank++) columns.push(`label_${rank}`, `probability_${rank}`)
  columns.push('error')
  return `${columns.map(csvField).join(',')}\n`
}

export function csvRow(row: PredictionRow, top: number): string {
  const fields: string[] = [row.path]
  for (let rank = 0; rank < top; rank++) {
    const entry = row.top[rank]
    fields.push(entry?.label ?? '', entry ? entry.probability.toFixed(6) : '')
  }
  fields.push(row.error ?? '')
  return `${fields.map(csvField).join(',')}\n`
}

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
