import type { Split } from '../db/queries/images'

/**
 * The Keras `image_dataset_from_directory` convention, extended with splits:
 *
 *   root/<class>/…/image            → labeled <class>, split decided later
 *   root/image                      → unlabeled
 *   root/train|val|validation|test/<class>/…/image → that split, labeled <class>
 *   root/train|val|validation|test/image          → that split, unlabeled
 *
 * Deeper nesting belongs to the first class folder (Keras walks class folders recursively too):
 * `root/cat/indoor/1.jpg` is a "cat". Split folders count only at the top of the root, and only when
 * their name is exactly one of those words (any letter case).
 */
const SPLIT_FOLDERS: Record<string, Split> = { train: 'train', val: 'val', validation: 'val', test: 'test' }

const MAX_CLASS_NAME = 100

export interface FolderMeaning {
  split: Split | null
  className: string | null
}

/** `relPath` uses '/' separators, relative to the import root. */
export function interpretPath(relPath: string): FolderMeaning {
  const folders = relPath.split('/').slice(0, -1)
  const split = folders.length > 0 ? (SPLIT_FOLDERS[folders[0]!.toLowerCase()] ?? null) : null
  const classFolders = split ? folders.slice(1) : folders
  // Class names are capped at 100 characters (the database's limit); longer folder names are cut.
  const className = [...(classFolders[0]?.normalize('NFC').trim() ?? '')].slice(0, MAX_CLASS_NAME).join('').trim() || null
  return { split, className }
}
