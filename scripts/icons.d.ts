export const LINUX_SIZES: number[]
export const ICO_SIZES: number[]
export const ICNS_TYPES: [string, number][]
export function renderIcon(svgPath: string, size: number): Promise<Buffer>
export function icoFile(images: { size: number; png: Buffer }[]): Buffer
export function icnsFile(entries: { type: string; png: Buffer }[]): Buffer
export function generateIcons(root: string, outDir: string): Promise<{ png: string; ico: string; icns: string; png512: string }>
