// A parser that reads only the <script> blocks of a .svelte file, for import-x when it follows a
// component's imports to look for circles (import-x/no-cycle). The full Svelte parser costs about
// 200 ms a component there and made no-cycle take most of the lint run; imports need only the
// scripts. Everything else becomes spaces (line breaks kept) so positions still match the file.
// CommonJS because import-x loads the parsers named in its settings with require().
const { parser } = require('typescript-eslint')

const SCRIPT = /(<script\b[^>]*>)([\s\S]*?)<\/script>/g

function scriptsOnly(code) {
  const kept = code.replace(/[^\n]/g, ' ').split('')
  for (const match of code.matchAll(SCRIPT)) {
    const start = match.index + match[1].length
    for (let offset = 0; offset < match[2].length; offset += 1) kept[start + offset] = match[2][offset]
  }
  return kept.join('')
}

exports.meta = { name: 'pictor-svelte-imports-parser' }
exports.parseForESLint = (code, options) => parser.parseForESLint(scriptsOnly(code), options)
