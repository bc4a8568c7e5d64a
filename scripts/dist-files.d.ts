export interface AsarHeader {
  files?: Record<string, AsarHeader & { size?: number; offset?: string; unpacked?: boolean; link?: string }>
}
export interface AsarFile {
  path: string
  unpacked: boolean
  size: number
}
export function sha256File(path: string): string
export function listFiles(dir: string, prefix?: string): string[]
export function sizeOf(path: string): number
export function megabytes(bytes: number): number
export function asarHeader(path: string): AsarHeader
export function asarFiles(header: AsarHeader, prefix?: string): AsarFile[]
export function asarRead(path: string, file: string): Buffer
