// Try it's limits, shared by the contract, browser mode's transport and the renderer (which checks a
// dropped file before reading it). Nothing here imports anything: the renderer bundles it as it is.

/** The largest image one may send or name (25 MB; a camera's JPEG fits, a 100-MB TIFF scan does not). */
export const TRY_IMAGE_MAX_BYTES = 25 * 1024 * 1024
/** The same limit in base64 characters, as `predict.image` carries dropped bytes. */
export const TRY_IMAGE_MAX_BASE64 = Math.ceil(TRY_IMAGE_MAX_BYTES / 3) * 4
/** A request body that carries one (browser mode's transport allows this much for `predict.image` only). */
export const TRY_IMAGE_MAX_BODY_BYTES = TRY_IMAGE_MAX_BASE64 + 64 * 1024
/** The image files Try it offers to choose (no BMP: the decoder cannot read it, as the importer says). */
export const TRY_IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif'] as const

export const tooLargeMessage = (what: string) => `${what} is larger than 25 MB; Try it takes images up to 25 MB`
