// ESLint for the whole repository (`npm run lint`); the rules and the floors live in lint/.
import { pictorLintConfig } from './lint/eslint-config.js'

export default pictorLintConfig(import.meta.dirname)
