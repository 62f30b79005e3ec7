/**
 * Text offsets between the browser and the server. The server counts code points (Python's len); a
 * JS string counts UTF-16 code units, where an emoji or a rare CJK character outside the BMP takes
 * two. Everything the span editor does is in UTF-16 (the DOM's unit); it converts at the edges, on
 * loading a stored annotation and on submitting one.
 *
 * Selections snap to grapheme clusters (a letter with its combining marks, an emoji with its skin
 * tone or ZWJ sequence), so a span never cuts one in half; words come from Intl.Segmenter, which
 * knows Chinese and Japanese words (no spaces between them).
 */

export interface Span {
  start: number;
  end: number;
  label: string;
}

/** The UTF-16 index of code point `cp` of `text` (past the end: text.length). */
export function utf16Of(text: string, cp: number): number {
  let units = 0;
  let points = 0;
  for (const ch of text) {
    if (points >= cp) break;
    units += ch.length;
    points += 1;
  }
  return units;
}

/** The code point index of UTF-16 index `unit` of `text` (inside a surrogate pair: the pair's end). */
export function codePointOf(text: string, unit: number): number {
  let units = 0;
  let points = 0;
  for (const ch of text) {
    if (units >= unit) break;
    units += ch.length;
    points += 1;
  }
  return points;
}

/** Spans in code points (the server's) → UTF-16 (the browser's). */
export function spansToUtf16(text: string, spans: readonly Span[]): Span[] {
  return spans.map((s) => ({ start: utf16Of(text, s.start), end: utf16Of(text, s.end), label: s.label }));
}

/** Spans in UTF-16 → code points, in the server's canonical order (start, end, label). */
export function spansToCodePoints(text: string, spans: readonly Span[]): Span[] {
  return spans
    .map((s) => ({ start: codePointOf(text, s.start), end: codePointOf(text, s.end), label: s.label }))
    .sort(compareSpans);
}

export function compareSpans(a: Span, b: Span): number {
  return a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

type SegmenterLike = { segment(text: string): Iterable<{ segment: string; index: number; isWordLike?: boolean }> };

function segmenter(granularity: "grapheme" | "word"): SegmenterLike | null {
  const Seg = (Intl as unknown as { Segmenter?: new (locale?: string, options?: object) => SegmenterLike }).Segmenter;
  return Seg ? new Seg(undefined, { granularity }) : null;
}

/** The UTF-16 offsets where grapheme clusters start, plus text.length. */
export function graphemeBoundaries(text: string): number[] {
  const seg = segmenter("grapheme");
  const out: number[] = [];
  if (seg) {
    for (const part of seg.segment(text)) out.push(part.index);
  } else {
    let at = 0;
    for (const ch of text) {
      if (!/^\p{M}$/u.test(ch) || !out.length) out.push(at);
      at += ch.length;
    }
  }
  if (out[out.length - 1] !== text.length) out.push(text.length);
  return out;
}

/** The words of `text` as [start, end) in UTF-16: word-like segments, and emoji or symbols standing alone. */
export function wordRanges(text: string): [number, number][] {
  const seg = segmenter("word");
  const out: [number, number][] = [];
  const wordy = /[\p{L}\p{N}\p{M}\p{Extended_Pictographic}\p{So}]/u;
  if (seg) {
    for (const part of seg.segment(text)) {
      if (part.isWordLike || wordy.test(part.segment)) out.push([part.index, part.index + part.segment.length]);
    }
    return out;
  }
  const re = /[\p{L}\p{N}\p{M}_\p{Extended_Pictographic}\p{So}]+/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/** `at` moved to the grapheme boundary at or before it (`up`: at or after it). */
export function snapToGrapheme(bounds: readonly number[], at: number, up: boolean): number {
  if (up) return bounds.find((b) => b >= at) ?? bounds[bounds.length - 1];
  let best = 0;
  for (const b of bounds) {
    if (b > at) break;
    best = b;
  }
  return best;
}
