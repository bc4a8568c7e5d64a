// The report's one defence against hostile names: every interpolated value is escaped unless it is
// markup this module made itself (a `Markup`), so a class called `<script>` prints as text.

/** Markup that is already safe: made by `html`, or by `raw` for constants written in this folder. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ENTITIES[character]!)
}

export type Interpolated = Markup | string | number | null | undefined | false | readonly Interpolated[]

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Markup) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value as string | number))
}

/** `html\`<td>${name}</td>\``: strings and numbers escaped, Markup and arrays of it inserted as is. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Markup {
  let text = strings[0]!
  values.forEach((value, index) => (text += render(value) + strings[index + 1]!))
  return new Markup(text)
}

/** Trusted markup (an SVG this folder built from numbers, a data: URI of our own bytes). */
export function raw(text: string): Markup {
  return new Markup(text)
}
