/** "1 image", "0 images", "2 classes": a count with its noun in the right number. */
export function plural(count: number, noun: string, many = `${noun}s`): string {
  return `${new Intl.NumberFormat().format(count)} ${count === 1 ? noun : many}`
}
