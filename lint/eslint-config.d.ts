// Types for eslint-config.js (plain JavaScript so that ESLint loads it without a TypeScript step).
import type { Linter } from 'eslint'
export function pictorLintConfig(root: string): Linter.Config[]
