/** Why one file could not be imported. Recorded on the image row; the import goes on. */
export type FileErrorCode =
  | 'EMPTY_FILE'
  | 'FILE_TOO_BIG'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT'
  | 'TOO_MANY_PIXELS'
  | 'UNREADABLE'
  | 'VANISHED'
  | 'SYMLINK_LOOP'
  | 'DANGLING_LINK'
  | 'LINK_OUTSIDE'
  | 'NOT_A_FILE'
  | 'BAD_NAME'

export class FileError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'FileError'
  }
}

/** Turns an operating-system error on a file into a FileError a user can read. */
export function fileErrorFromSystem(error: unknown): FileError {
  const code = (error as NodeJS.ErrnoException | null)?.code
  switch (code) {
    case 'ENOENT':
      return new FileError('VANISHED', 'the file disappeared during the import')
    case 'EACCES':
    case 'EPERM':
      return new FileError('UNREADABLE', 'permission denied')
    case 'ELOOP':
      return new FileError('SYMLINK_LOOP', 'the symbolic link points back at itself')
    case 'EISDIR':
      return new FileError('NOT_A_FILE', 'it is a folder')
    default:
      return new FileError('UNREADABLE', (error as Error)?.message ?? String(error))
  }
}
