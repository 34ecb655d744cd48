// Word-level differences between two answers, for the evaluation's side-by-side samples: which words of an answer
// the other text (the reference, or the other arm) does not have. A longest common subsequence over words; answers
// are a few hundred tokens at most (max_tokens), and above MAX_WORDS the diff is skipped rather than made slow.

export type DiffKind = 'same' | 'added' | 'removed';

export interface DiffSegment {
  text: string;
  kind: DiffKind;
}

/** Beyond this many words on either side the texts are shown without a diff (the table would be O(n·m)). */
export const MAX_WORDS = 1500;

/** Words with the whitespace that follows each, so joining the tokens gives the text back unchanged. */
export function tokenize(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const wordOf = (token: string) => token.trim().toLowerCase();

/**
 * `text` as segments compared with `other`: `same` where a word is in both (in order), `added` where `text` has a
 * word `other` lacks; with `withRemoved`, also `removed` segments for the words only `other` has. Case and
 * whitespace do not count as differences. Null when a text is too long to compare.
 */
export function wordDiff(text: string, other: string, withRemoved = false): DiffSegment[] | null {
  const a = tokenize(text);
  const b = tokenize(other);
  if (a.length > MAX_WORDS || b.length > MAX_WORDS) {
    return null;
  }
  const wa = a.map(wordOf);
  const wb = b.map(wordOf);
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..]
  const lcs: Uint16Array[] = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = wa[i] === wb[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const segments: DiffSegment[] = [];
  const push = (token: string, kind: DiffKind) => {
    const last = segments[segments.length - 1];
    if (last?.kind === kind) {
      last.text += token;
    } else {
      segments.push({ text: token, kind });
    }
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && wa[i] === wb[j]) {
      push(a[i++], 'same');
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      if (withRemoved) {
        push(b[j], 'removed');
      }
      j++;
    } else {
      push(a[i++], 'added');
    }
  }
  return segments;
}

/** The share of `text`'s words that `other` has too (0 for an empty text): a quick "how close" figure. */
export function overlap(text: string, other: string): number {
  const segments = wordDiff(text, other);
  const words = tokenize(text).filter((t) => t.trim()).length;
  if (!segments || words === 0) {
    return 0;
  }
  const same = segments
    .filter((s) => s.kind === 'same')
    .reduce((n, s) => n + tokenize(s.text).filter((t) => t.trim()).length, 0);
  return same / words;
}
