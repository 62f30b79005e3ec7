/**
 * Which key picks which label on the labeling page: 1–9 and 0 for the first ten labels, then the
 * letters a–z, then Shift + a letter, always leaving out the letters the page uses for its own
 * shortcuts (S skips, F flags) so a label can never steal them. Past those (58 labels) only the typed
 * filter reaches a label.
 *
 * Letters are matched case-insensitively with the Shift state apart, so Caps Lock does not move every
 * letter key onto the Shift tier.
 */

/** Letters the labeling page keeps for itself (lowercase). */
export const RESERVED_LETTERS = ["s", "f"] as const;

const LETTERS = "abcdefghijklmnopqrstuvwxyz".split("").filter((l) => !(RESERVED_LETTERS as readonly string[]).includes(l));

export interface LabelKey {
  /** The key's character: "1".."9", "0", or a lowercase letter. */
  key: string;
  shift: boolean;
  /** What the button shows: "1", "A", "⇧A". */
  display: string;
  /** The aria-keyshortcuts value: "1", "A", "Shift+A". */
  aria: string;
}

export function labelKey(index: number): LabelKey | null {
  if (index < 0) return null;
  if (index < 10) {
    const key = String((index + 1) % 10);
    return { key, shift: false, display: key, aria: key };
  }
  const letterAt = index - 10;
  const tier = Math.floor(letterAt / LETTERS.length);
  if (tier > 1) return null;
  const letter = LETTERS[letterAt % LETTERS.length];
  const upper = letter.toUpperCase();
  return tier === 0
    ? { key: letter, shift: false, display: upper, aria: upper }
    : { key: letter, shift: true, display: `⇧${upper}`, aria: `Shift+${upper}` };
}

/** The index of the label a key press picks, or -1. `key` is KeyboardEvent.key. */
export function labelIndexForKey(key: string, shift: boolean): number {
  if (/^[0-9]$/.test(key)) return key === "0" ? 9 : Number(key) - 1;
  if (!/^[a-z]$/i.test(key)) return -1;
  const at = LETTERS.indexOf(key.toLowerCase());
  if (at < 0) return -1;
  return 10 + (shift ? LETTERS.length : 0) + at;
}

/**
 * The labels a typed filter keeps, best first: names that start with it, then names with a word that
 * starts with it, then names that merely contain it; each group in the project's order.
 */
export function filterLabels(labels: readonly string[], query: string): string[] {
  const q = query.trim().toLocaleLowerCase();
  if (!q) return [...labels];
  const ranked: [number, number, string][] = [];
  labels.forEach((label, i) => {
    const name = label.toLocaleLowerCase();
    const at = name.indexOf(q);
    if (at < 0) return;
    const rank = at === 0 ? 0 : /[\s_\-/.:]/.test(name[at - 1]) ? 1 : 2;
    ranked.push([rank, i, label]);
  });
  return ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , label]) => label);
}
