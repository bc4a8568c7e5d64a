import type { ImageDetail, ReviewItem } from '@contract/types'
import type { Client } from '../api/client'

/**
 * The large view of one image in a Review grid (Space), the Label view's detail dialog fed from a
 * review item: it follows the cursor, so relabeling with the class keys moves on to the next image
 * with the dialog still open.
 */
export class ReviewDetail {
  #open = $state(false)
  #detail = $state.raw<ImageDetail | null>(null)
  #item = $state.raw<ReviewItem | null>(null)
  #ticket = 0

  constructor(private readonly api: Client) {}

  get open() {
    return this.#open
  }
  get detail() {
    return this.#detail
  }
  /** The review item behind the detail: prediction, confidence and loss. */
  get item() {
    return this.#item
  }

  async toggle(item: ReviewItem | undefined): Promise<void> {
    if (this.#open || !item) return this.close()
    this.#open = true
    await this.show(item)
  }

  /** Shows `item` when open (the cursor moved, or the list changed under it); closes when none is left. */
  async show(item: ReviewItem | undefined): Promise<void> {
    if (!this.#open) return
    if (!item) return this.close()
    if (this.#item?.imageId === item.imageId && this.#detail) {
      this.#item = item
      return
    }
    const ticket = ++this.#ticket
    const [detail] = await this.api.call('images.get', { ids: [item.imageId] }).catch(() => [])
    if (ticket !== this.#ticket || !this.#open) return
    this.#item = item
    this.#detail = detail ?? null
    if (!detail) this.close()
  }

  close(): void {
    this.#ticket++
    this.#open = false
    this.#detail = null
    this.#item = null
  }

  async setSplit(split: 'train' | 'val' | 'test' | null): Promise<void> {
    const item = this.#item
    if (!item) return
    await this.api.call('images.setSplit', { imageIds: [item.imageId], split })
    const [detail] = await this.api.call('images.get', { ids: [item.imageId] })
    if (this.#item?.imageId === item.imageId) this.#detail = detail ?? null
  }
}
