// RFC 4180 reading, the other half of csvField (src-main/export/prediction-csv.ts): what Pictor's own
// dataset.csv and a spreadsheet's "Save as CSV" write. Quoted fields may hold commas, doubled quotes
// and line breaks; records end with CRLF or a bare LF (files edited on Linux and macOS).

export interface CsvRecord {
  /** The 1-based line the record starts on, for messages that point into the file. */
  line: number
  fields: string[]
}

/** Why a text is not CSV, with the line that shows it. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    reason: string
  ) {
    super(`line ${line}: ${reason}`)
    this.name = 'CsvSyntaxError'
  }
}

/**
 * Every record of `text` (a UTF-8 byte-order mark and a final line end are ignored). Blank lines
 * come back as a record of one empty field, as RFC 4180 reads them; callers skip them.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  let fields: string[] = []
  let field = ''
  let line = 1
  let recordLine = 1
  // 'start': at the start of a field; 'plain': inside an unquoted one; 'quoted': inside quotes;
  // 'closed': just past a closing quote, where only a comma or a line end may follow.
  let state: 'start' | 'plain' | 'quoted' | 'closed' = 'start'
  const endRecord = () => {
    fields.push(field)
    records.push({ line: recordLine, fields })
    fields = []
    field = ''
    state = 'start'
    recordLine = line
  }
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!
    if (state === 'quoted') {
      if (char === '"') {
        if (body[i + 1] === '"') {
          field += '"'
          i++
        } else state = 'closed'
      } else {
        if (char === '\n') line++
        field += char
      }
      continue
    }
    if (char === ',') {
      fields.push(field)
      field = ''
      state = 'start'
    } else if (char === '\n' || (char === '\r' && body[i + 1] === '\n')) {
      if (char === '\r') i++
      line++
      endRecord()
    } else if (state === 'closed') {
      throw new CsvSyntaxError(line, 'a quoted field must end at a comma or the end of the line')
    } else if (char === '"') {
      if (state === 'plain') throw new CsvSyntaxError(line, 'a quote inside an unquoted field (quote the field and double the quote)')
      state = 'quoted'
    } else {
      field += char
      state = 'plain'
    }
  }
  if (state === 'quoted') throw new CsvSyntaxError(recordLine, 'a quoted field is never closed')
  // The last record, unless the text ended with its line end (or was empty).
  if (fields.length > 0 || field !== '' || state === 'closed') endRecord()
  return records
}
