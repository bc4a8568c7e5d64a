// Number and date formats the report uses everywhere, so a percentage reads the same in every table.
import type { Interval } from './wilson'

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)} %`
}

/** "49.0–94.3 %", or "—" without trials. */
export function interval(value: Interval | null): string {
  return value === null ? '—' : `${(value.low * 100).toFixed(1)}–${(value.high * 100).toFixed(1)} %`
}

/** "2026-12-06 09:14 UTC": one zone for everyone who reads the file. */
export function date(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

export function duration(from: number | null, to: number | null): string {
  if (from === null || to === null) return '—'
  const seconds = Math.max(0, Math.round((to - from) / 1000))
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`
}

/** A setting's value as it would be typed: strings bare, everything else as JSON. */
export function settingValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '—'
}
