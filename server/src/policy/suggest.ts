// "Did you mean" for misspelt keys and values.

/**
 * Edit distance counting an insertion, deletion, substitution or swap of neighbours as one edit
 * (`PL330` is one edit from `PL303`). Gives up, returning `max + 1`, once it must exceed `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

// `base_image`, `Base-Image` and `baseimage` all mean `baseImage`.
const fold = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

/** The closest candidate when it is close enough to be a plausible typo, else undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = fold(word);
  if (w.length === 0 || w.length > 64) return undefined;
  // `warn` -> `warning`, `dig` -> `digest`: a clear prefix is a plausible abbreviation.
  if (w.length >= 3) for (const c of candidates) if (fold(c).startsWith(w)) return c;
  const max = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const c of candidates) {
    const d = editDistance(w, fold(c), max);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
