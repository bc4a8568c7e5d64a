export type ElectronBinary = { path: string } | { path: null; reason: string }
export function findElectronBinary(root: string): ElectronBinary
export function electronVersion(root: string): string
