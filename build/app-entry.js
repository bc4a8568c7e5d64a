// The packaged app's entry (the staged package.json's "main"). The `pictor` command of an installed
// Pictor (build/bin) starts the app as `<app> --pictor-cli -- <arguments>`: then the command-line
// interface runs in Electron's main process, because the RunAsNode fuse is off (nothing can run the
// app's binary as plain Node). Without the flag, the desktop app starts as usual.
import { app } from 'electron'

// Paths relative to the staged app (where this file is copied), not to build/.
const built = (file) => new URL(`./out/main/${file}`, import.meta.url).href

const at = process.argv.indexOf('--pictor-cli')
if (at < 0) {
  await import(built('index.js'))
} else {
  const rest = process.argv.slice(at + 1)
  // The shim passes `--` so that Chromium reads none of the user's arguments as its own switches.
  if (rest[0] === '--') rest.shift()
  // cli.js reads process.argv.slice(2), as under Node: [runtime, script, ...arguments].
  process.argv = [process.argv[0], 'pictor', ...rest]
  // cli.js reports its end by setting process.exitCode; Electron's main process never ends by itself.
  let code
  Object.defineProperty(process, 'exitCode', {
    configurable: true,
    get: () => code,
    set: (value) => {
      code = value
      setImmediate(() => app.exit(Number(value ?? 0)))
    }
  })
  await import(built('cli.js'))
}
