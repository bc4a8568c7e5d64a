// The floors of src-main, written once: the lint step (import-x/no-restricted-paths) and its test both
// read this table. A module may import from its own floor or a lower one, never a higher one, so each
// floor stands on what is below it and can be tested without what is above it.
// A new folder in src-main is one line here (test/unit/lint/floors.test.ts fails until it is listed).

/** @type {{ name: string, folders: string[] }[]} lowest first */
export const FLOORS = [
  { name: 'the contract', folders: ['contract'] },
  { name: 'core', folders: ['core'] },
  { name: 'storage', folders: ['db', 'jobs'] },
  { name: 'building blocks', folders: ['tfjs', 'models', 'onnx', 'import', 'splits', 'tensorboard'] },
  { name: 'inference', folders: ['classifier'] },
  { name: 'training', folders: ['training'] },
  { name: 'transfer learning', folders: ['transfer'] },
  { name: 'features', folders: ['review', 'export', 'dataset', 'bundle', 'serve', 'report'] },
  { name: 'app shells', folders: ['services', 'workers', 'server', 'cli', 'electron'] }
]

/**
 * Folders that share a floor but must not import each other, [importer, imported]: review and export
 * are independent features; the services are shared by every shell, the server by the CLI and Electron.
 * @type {[string, string][]}
 */
export const SIBLING_BANS = [
  ['review', 'export'],
  ['export', 'review'],
  ['services', 'server'],
  ['services', 'cli'],
  ['services', 'electron'],
  ['server', 'cli'],
  ['server', 'electron']
]

/** The floors listed by their folders, for messages. */
function describe(floorIndex) {
  const floor = FLOORS[floorIndex]
  return `floor ${floorIndex + 1} (${floor.name}: ${floor.folders.join(', ')})`
}

/**
 * Zones for import-x/no-restricted-paths, paths relative to the repository root.
 * @returns {{ target: string | string[], from: string | string[], except?: string[], message: string }[]}
 */
export function floorZones() {
  const zones = []
  FLOORS.forEach((floor, index) => {
    const higher = FLOORS.slice(index + 1).flatMap((above) => above.folders)
    if (higher.length === 0) return
    for (const folder of floor.folders) {
      zones.push({
        target: `src-main/${folder}`,
        from: higher.map((above) => `src-main/${above}`),
        message:
          `src-main/${folder} is on ${describe(index)} and may import only that floor or lower ones; ` +
          'move what both need down a floor, or pass it in from above.'
      })
    }
  })
  for (const [importer, imported] of SIBLING_BANS) {
    zones.push({
      target: `src-main/${importer}`,
      from: `src-main/${imported}`,
      message: `src-main/${importer} must not import src-main/${imported} although they share a floor.`
    })
  }
  zones.push({
    target: 'src-renderer',
    from: 'src-main',
    except: ['./contract'],
    message: 'The renderer may import from the main side only src-main/contract, as @contract/...'
  })
  zones.push({
    target: 'src-main',
    from: 'src-renderer',
    message: 'The main side must not import the renderer.'
  })
  return zones
}
