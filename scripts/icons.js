// Renders every icon from the one source, resources/icon.svg, with sharp:
//   <out>/png/<size>x<size>.png  Linux (electron-builder picks the sizes from the folder)
//   <out>/icon.icns             macOS (PNG-encoded entries, 16 to 1024 px)
//   <out>/icon.ico              Windows (PNG-encoded entries, 16 to 256 px)
//   <out>/icon.png              512 px, for file associations
// Generated at `npm run dist` time into .cache/icons (ignored by git). resources/icon.png, the window
// icon that the build imports, is generated too but committed: `npm run build` needs it on a clean
// clone; `node scripts/icons.js --window-icon` rewrites it and a unit test checks it matches the SVG.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
// ICNS entry types by pixel size (the @2x types reuse the larger renders).
export const ICNS_TYPES = [
  ['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024],
  ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512]
]

export function renderIcon(svgPath, size) {
  const density = Math.ceil((72 * size) / 256)
  return sharp(readFileSync(svgPath), { density }).resize(size, size).png({ compressionLevel: 9 }).toBuffer()
}

export function icoFile(images) {
  const header = Buffer.alloc(6 + 16 * images.length)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2)
  header.writeUInt16LE(images.length, 4)
  let offset = header.length
  images.forEach(({ size, png }, index) => {
    const at = 6 + 16 * index
    header.writeUInt8(size >= 256 ? 0 : size, at)
    header.writeUInt8(size >= 256 ? 0 : size, at + 1)
    header.writeUInt16LE(1, at + 4)
    header.writeUInt16LE(32, at + 6)
    header.writeUInt32LE(png.length, at + 8)
    header.writeUInt32LE(offset, at + 12)
    offset += png.length
  })
  return Buffer.concat([header, ...images.map((image) => image.png)])
}

export function icnsFile(entries) {
  const chunks = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8)
    head.write(type, 0, 'ascii')
    head.writeUInt32BE(png.length + 8, 4)
    return Buffer.concat([head, png])
  })
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'ascii')
  head.writeUInt32BE(8 + chunks.reduce((total, chunk) => total + chunk.length, 0), 4)
  return Buffer.concat([head, ...chunks])
}

/** Writes every platform's icons under `outDir`; returns the paths electron-builder needs. */
export async function generateIcons(root, outDir) {
  const svg = join(root, 'resources', 'icon.svg')
  const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, size]) => size)])]
  const renders = new Map(await Promise.all(sizes.map(async (size) => [size, await renderIcon(svg, size)])))
  mkdirSync(join(outDir, 'png'), { recursive: true })
  for (const size of LINUX_SIZES) writeFileSync(join(outDir, 'png', `${size}x${size}.png`), renders.get(size))
  writeFileSync(join(outDir, 'icon.ico'), icoFile(ICO_SIZES.map((size) => ({ size, png: renders.get(size) }))))
  writeFileSync(join(outDir, 'icon.icns'), icnsFile(ICNS_TYPES.map(([type, size]) => ({ type, png: renders.get(size) }))))
  writeFileSync(join(outDir, 'icon.png'), renders.get(512))
  return { png: join(outDir, 'png'), ico: join(outDir, 'icon.ico'), icns: join(outDir, 'icon.icns'), png512: join(outDir, 'icon.png') }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  if (process.argv.includes('--window-icon')) {
    writeFileSync(join(root, 'resources', 'icon.png'), await renderIcon(join(root, 'resources', 'icon.svg'), 256))
    console.log('resources/icon.png rewritten from resources/icon.svg')
  } else {
    const paths = await generateIcons(root, join(root, '.cache', 'icons'))
    console.log(`icons written to ${dirname(paths.ico)}`)
  }
}
