/**
 * How the cleaning form names things for people. The step catalogue (GET /cleaning-steps) gives op and
 * parameter names as code identifiers, and its descriptions and help texts in English; the words shown
 * instead come from the `cleaning` message catalogue (locales/<locale>/cleaning.json). An op,
 * parameter or choice missing there (a new step) still reads acceptably: its identifier with the
 * underscores turned into spaces, and the server's own description and help.
 *
 * English shows the server's description and help as they are (they are the reference, and change
 * with the steps); another language shows the catalogue's translation of them when it has one.
 */
import { currentLocale, i18n, t } from "../i18n";

/** Whether the catalogue names this key (English has every key; the test keeps the others in step). */
function known(key: string): boolean {
  return i18n.global.te(key, "en");
}

/**
 * Starting values for parameters the catalogue marks required (it has no default for them): a form
 * that starts empty only earns an error. These are suggestions the manager sees and can change.
 */
export const SUGGESTED: Record<string, unknown> = {
  "min_length.min": 5,
  "max_length.max": 5000,
  "language.languages": "en",
};

function humanize(identifier: string): string {
  const words = identifier.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function stepTitle(op: string): string {
  const key = `cleaning.step.${op}.title`;
  return known(key) ? t(key) : humanize(op);
}

/** The step's description: the server's in English, the catalogue's translation in another language. */
export function stepDescription(op: string, server: string): string {
  const key = `cleaning.step.${op}.description`;
  return currentLocale() !== "en" && known(key) ? t(key) : server;
}

export function paramLabel(op: string, name: string): string {
  for (const key of [`cleaning.param.${op}.${name}`, `cleaning.paramAny.${name}`]) {
    if (known(key)) return t(key);
  }
  return humanize(name);
}

/** A parameter's help: the server's in English, the catalogue's translation in another language. */
export function paramHelp(op: string, name: string, server: string): string {
  if (currentLocale() === "en" || !server) return server;
  for (const key of [`cleaning.help.${op}.${name}`, `cleaning.helpAny.${name}`]) {
    if (known(key)) return t(key);
  }
  return server;
}

export function choiceLabel(choice: string): string {
  const key = `cleaning.choice.${choice}`;
  return known(key) ? t(key) : choice;
}

/** A step count's extra figure (near_dedup's "kept_with_duplicates"...) as words. */
export function countLabel(key: string): string {
  const message = `cleaning.count.${key}`;
  return known(message) ? t(message) : key.replace(/_/g, " ");
}

/** The exclusion reasons the steps store (in English, with the item) and their words in the catalogue. */
const REASONS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^shorter than (\d+) (chars|tokens)$/, (m) => t("cleaning.reason.shorter", { n: m[1], unit: t(`cleaning.reason.unit.${m[2]}`) })],
  [/^longer than (\d+) (chars|tokens)$/, (m) => t("cleaning.reason.longer", { n: m[1], unit: t(`cleaning.reason.unit.${m[2]}`) })],
  [/^duplicate of #(\d+)$/, (m) => t("cleaning.reason.duplicate", { id: m[1] })],
  [/^near-duplicate of #(\d+)$/, (m) => t("cleaning.reason.nearDuplicate", { id: m[1] })],
  [/^language unknown$/, () => t("cleaning.reason.languageUnknown")],
  [/^language ([\w-]+)$/, (m) => t("cleaning.reason.language", { language: m[1] })],
];

/**
 * Why cleaning excluded an item ("shorter than 10 chars"): the stored English in English, the
 * catalogue's words in another language when the reason has a known form, else as stored.
 */
export function cleaningReason(reason: string): string {
  if (currentLocale() === "en") return reason;
  for (const [pattern, words] of REASONS) {
    const m = pattern.exec(reason);
    if (m) return words(m);
  }
  return reason;
}

/**
 * A description split at its backticks: `min` names a parameter (shown as its current value when the
 * form has one) or is code; everything else is plain text. No HTML is built, so nothing needs escaping.
 */
export function descriptionParts(description: string): Array<{ text: string; code: boolean }> {
  return description.split("`").map((text, i) => ({ text, code: i % 2 === 1 })).filter((p) => p.text !== "");
}
