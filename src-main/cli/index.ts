import pkg from '../../package.json'
import { COMMANDS } from './commands'
import { CliFailure, debugging, describeUnexpected, EXIT, UsageError } from './output'

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length))
  return [
    `Pictor ${pkg.version} — turn folders of images into image classifiers, offline.`,
    '',
    'Usage: pictor <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    ...COMMANDS.map((command) => `  ${command.usage}`),
    '',
    'Options: --help, --version, --debug (print the stack trace of an unexpected error)',
    'Environment: PICTOR_DATA_DIR overrides where Pictor keeps recent projects and caches;',
    '             PICTOR_MODELS_DIR where it looks for base models (default: <data folder>/models).'
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  debugging.enabled = argv.includes('--debug')
  const [name, ...rest] = argv.filter((arg) => arg !== '--debug')
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return EXIT.ok
  }
  if (name === '--version' || name === '-v') {
    console.log(pkg.version)
    return EXIT.ok
  }
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (!command) {
    console.error(`pictor: unknown command "${name}"\n\n${help()}`)
    return EXIT.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}`)
    return EXIT.ok
  }
  try {
    return await command.run(rest)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`pictor ${name}: ${(error as Error).message}\nUsage: ${command.usage}`)
      return EXIT.usage
    }
    if (error instanceof CliFailure) {
      console.error(`pictor ${name}: ${error.message}`)
      return EXIT.failed
    }
    // Anything else is still one line (its code when the user can act on it); the stack trace
    // is for developers and only comes with --debug.
    console.error(`pictor ${name}: ${describeUnexpected(error)}`)
    if (debugging.enabled) console.error(error)
    return EXIT.failed
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    console.error(`pictor: ${describeUnexpected(error)}`)
    if (debugging.enabled) console.error(error)
    process.exitCode = EXIT.failed
  }
)
