import { closeSync, openSync, writeSync } from 'node:fs'

/**
 * Writes 4 KB of garbage over one page of a closed project, the way a failing disk or a careless
 * program would (issue 13 used page 6: an index of the images table, which `pictor info` never reads).
 */
export function damagePage(path: string, page = 6, pageSize = 4096): void {
  const garbage = Buffer.alloc(pageSize)
  let state = 0x2545f491
  for (let index = 0; index < garbage.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0
    garbage[index] = state >>> 24
  }
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, garbage, 0, garbage.length, (page - 1) * pageSize)
  } finally {
    closeSync(fd)
  }
}
