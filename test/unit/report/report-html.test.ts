import { describe, expect, it } from 'vitest'
import { escapeHtml, html, raw } from '../../../src-main/report/html'
import { lineChart, ticks } from '../../../src-main/report/report-svg'

describe('the report markup', () => {
  it('escapes every interpolated string, and only markup it made goes in as is', () => {
    const name = '<script>alert("x")</script> & \'friends\''
    const cell = html`<td title="${name}">${name}</td>`
    expect(cell.text).toBe(`<td title="${escapeHtml(name)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</td>`)
    expect(html`<tr>${[name, 2].map((value) => html`<td>${value}</td>`)}</tr>`.text).toBe('<tr><td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</td><td>2</td></tr>')
    expect(html`${raw('<b>')}${null}${false}${undefined}`.text).toBe('<b>')
  })

  it('draws a chart with axes, ticks, a legend and no script', () => {
    const svg = lineChart({
      title: 'Loss <per> epoch',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { name: 'training', color: '#123456', points: [{ x: 1, y: 1.2 }, { x: 2, y: 0.8 }, { x: 3, y: 0.5 }] },
        { name: 'validation', color: '#654321', dashed: true, points: [{ x: 1, y: null }, { x: 2, y: null }, { x: 3, y: null }] }
      ]
    }).text
    expect(svg).toMatch(/^<svg [^>]*viewBox/)
    expect(svg).toContain('Loss &lt;per&gt; epoch')
    expect(svg.match(/<polyline /g)).toHaveLength(1)
    expect(svg).toContain('validation (none)')
    expect(svg).toContain('stroke-dasharray')
    expect(svg).not.toMatch(/<script|https?:/)
  })

  it('picks round ticks', () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(ticks(1, 10, 8)).toEqual([2, 4, 6, 8, 10])
  })
})
