import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fixturePath } from '../../helpers/image-fixtures'
import { runImport, setUpImport, withProjectDb } from '../../helpers/import-project'
import { lookPng } from '../../helpers/training-project'

// A real project for the dataset export tests: PNGs written by sharp into train/val/test folders and
// imported by the real import, with what an export has to get right: two files of one name in one
// class and split, a class name with a comma and a quote, an unlabeled and an unreadable image, a
// label given by a person, and a class order that is neither alphabetical nor the order of creation.

export const QUOTED = 'he said "hi", ok'

export interface DatasetProject {
  projectPath: string
  folder: string
}

const FILES: Record<string, number> = {
  'train/red': 3,
  'train/blue': 3,
  [`train/${QUOTED}`]: 2,
  'val/red': 2,
  'val/blue': 1,
  [`val/${QUOTED}`]: 1,
  'test/red': 1,
  'test/blue': 2
}

export async function createDatasetProject(dir: string): Promise<DatasetProject> {
  mkdirSync(dir, { recursive: true })
  const setup = setUpImport(dir)
  let seed = 100
  for (const [folder, count] of Object.entries(FILES)) {
    for (let i = 0; i < count; i++) writeFileSync(fixturePath(setup.folder, `${folder}/img-${seed}.png`), await lookPng(folder.endsWith('blue') ? 'blue' : 'red', seed++))
  }
  // The same file name twice in train/red (different pictures): a collision in the export.
  writeFileSync(fixturePath(setup.folder, 'train/red/a/same.png'), await lookPng('red', seed++))
  writeFileSync(fixturePath(setup.folder, 'train/red/b/same.png'), await lookPng('red', seed++))
  writeFileSync(fixturePath(setup.folder, 'loose.png'), await lookPng('blue', seed)) // no class folder: unlabeled
  writeFileSync(fixturePath(setup.folder, 'train/red/broken.png'), 'not a picture') // failed at import
  const report = await runImport(setup)
  if (report.imported !== 18) throw new Error(`imported only ${report.imported} images`)
  withProjectDb(setup.projectPath, (db) => {
    // A person's label, and an order of classes that is neither alphabetical nor by creation.
    db.prepare("UPDATE labels SET origin = 'user' WHERE image_id = (SELECT min(id) FROM images WHERE rel_path LIKE 'val/blue/%')").run()
    const order = [QUOTED, 'red', 'blue']
    const setPosition = db.prepare('UPDATE classes SET position = ? WHERE name = ?')
    order.forEach((name, position) => setPosition.run(position, name))
  })
  return { projectPath: setup.projectPath, folder: setup.folder }
}

/** Split → exact class name → labeled readable images, straight from the project's tables. */
export function projectCounts(projectPath: string): Record<string, Record<string, number>> {
  const rows = withProjectDb(projectPath, (db) =>
    db
      .prepare(
        `SELECT coalesce(i.split, 'unsplit') AS split, c.name, count(*) AS n FROM images i
         JOIN labels l ON l.image_id = i.id JOIN classes c ON c.id = l.class_id AND c.deleted_at IS NULL
         WHERE i.status = 'ok' GROUP BY 1, 2`
      )
      .all()
  ) as { split: string; name: string; n: number }[]
  const counts: Record<string, Record<string, number>> = {}
  for (const { split, name, n } of rows) (counts[split] ??= {})[name] = n
  return counts
}

/** Split → class folder → files found on disk under `<dir>/<split>/<folder>/` (files beside the class folders aside). */
export function filesOnDisk(dir: string): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {}
  for (const split of ['train', 'val', 'test', 'unsplit']) {
    let folders: string[]
    try {
      folders = readdirSync(join(dir, split))
    } catch {
      continue
    }
    for (const folder of folders) {
      if (statSync(join(dir, split, folder)).isDirectory()) (counts[split] ??= {})[folder] = readdirSync(join(dir, split, folder)).length
    }
  }
  return counts
}

/** Every file below `dir`, '/'-separated, sorted. */
export function listFiles(dir: string): string[] {
  const found: string[] = []
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name)
      if (statSync(path).isDirectory()) walk(path)
      else found.push(relative(dir, path).split(sep).join('/'))
    }
  }
  walk(dir)
  return found.sort()
}
