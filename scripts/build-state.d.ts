export function buildNeeded(root: string): string | null
