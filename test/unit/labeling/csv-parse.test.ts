import { describe, expect, it } from 'vitest'
import { CsvSyntaxError, parseCsv } from '../../../src-main/dataset/csv-parse'
import { csvField } from '../../../src-main/export/prediction-csv'

// The RFC 4180 reader behind `pictor labels import`: it reads back what csvField writes, CRLF or LF
// line ends, and refuses malformed quoting with the line it is on.

const fields = (text: string) => parseCsv(text).map((record) => record.fields)

describe('parseCsv', () => {
  it('reads back what csvField writes: commas, doubled quotes and line breaks inside quotes', () => {
    const values = ['he said "hi", ok', 'two\r\nlines', 'plain', '', 'ünïcødé']
    const text = `${values.map(csvField).join(',')}\r\nnext,row,,,\r\n`
    expect(fields(text)).toEqual([values, ['next', 'row', '', '', '']])
  })

  it('takes LF line ends, a byte-order mark, and a last record without a line end', () => {
    expect(fields('\uFEFFpath,label\na.png,cat\nb.png,"dog"')).toEqual([['path', 'label'], ['a.png', 'cat'], ['b.png', 'dog']])
  })

  it('numbers each record by the line it starts on, counting line breaks inside quotes', () => {
    expect(parseCsv('h1,h2\r\n"a\nb",x\r\nc,d\r\n').map((record) => record.line)).toEqual([1, 2, 4])
  })

  it('reads a blank line as one empty field and an empty text as no record', () => {
    expect(fields('a\n\nb\n')).toEqual([['a'], [''], ['b']])
    expect(fields('')).toEqual([])
  })

  it('refuses an unclosed quote, text after a closing quote, and a quote inside an unquoted field', () => {
    expect(() => parseCsv('a,b\n"open,c\n')).toThrow(new CsvSyntaxError(2, 'a quoted field is never closed'))
    expect(() => parseCsv('a,b\n"x"y,c\n')).toThrow(/^line 2: a quoted field must end at a comma/)
    expect(() => parseCsv('a,b\nx"y,c\n')).toThrow(/^line 2: a quote inside an unquoted field/)
  })
})
