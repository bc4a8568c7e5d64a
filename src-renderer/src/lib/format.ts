const integer = new Intl.NumberFormat()

export function count(value: number): string {
  return integer.format(value)
}

/** 75 → "1 min 15 s"; for ETAs and durations. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
