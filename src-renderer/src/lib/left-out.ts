/** What an export left out, in words ("2 unreadable, 1 missing"), for the dataset and bundle result panels. */
export function leftOutWords(leftOut: { failed: number; missing: number; unlabeled: number; otherSplits?: number }): string[] {
  return [
    leftOut.failed ? `${leftOut.failed} unreadable` : '',
    leftOut.missing ? `${leftOut.missing} missing` : '',
    leftOut.unlabeled ? `${leftOut.unlabeled} unlabeled` : '',
    leftOut.otherSplits ? `${leftOut.otherSplits} in other splits` : ''
  ].filter(Boolean)
}

/** How the images were placed ("12 hard-linked, 3 copied"). */
export function placedWords(result: { linked: number; copied: number }): string {
  return [result.linked > 0 ? `${result.linked} hard-linked` : '', result.copied > 0 ? `${result.copied} copied` : ''].filter(Boolean).join(', ')
}
