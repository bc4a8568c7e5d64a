import { ThumbnailStore } from '../import/thumbnail-store'

export const THUMBNAIL_PREFIX = '/thumbs/'

/**
 * `/thumbs/<sha256>.webp` → the cached thumbnail's path, for both transports. Anything else under
 * the prefix is null: the only input that reaches the file system is a validated 64-hex-digit hash.
 */
export function thumbnailFileFor(pathname: string, store: ThumbnailStore): string | null {
  const match = /^\/thumbs\/([0-9a-f]{64})\.webp$/.exec(pathname)
  return match ? store.pathFor(match[1]!) : null
}
