/** How numbers and commits read on every grading page, so the feedback and the overview never disagree on a total. */

/** Points can be fractional after a late penalty: two decimals at most, no trailing zeros. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export function points(earned: number, possible: number): string {
  return `${formatNumber(earned)}/${formatNumber(possible)}`;
}

/** Seven characters identify a commit for a person; a content hash (folder submissions) likewise. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}
