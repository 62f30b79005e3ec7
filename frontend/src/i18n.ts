/**
 * The interface's languages: English and Simplified Chinese, with vue-i18n (Composition API mode).
 *
 * Messages live in src/locales/<locale>/<namespace>.json, one namespace per area of the app
 * (common, labeling, items...), merged here under their file name: `$t("labeling.submit")` reads
 * labeling.json's "submit". A test (tests/frontend_tests/test_i18n_catalogues.py) fails when a key is
 * in one language and not the other, or when a template holds text that does not go through `$t`.
 *
 * The language: the one the user picked in the header (remembered in localStorage), else the
 * browser's (navigator.languages, which is what it sends as Accept-Language), else English. The API
 * client sends the chosen one as Accept-Language, so the server's error messages follow it.
 */
import { createI18n } from "vue-i18n";

export const LOCALES = [
  { code: "en", name: "English" },
  { code: "zh-CN", name: "简体中文" },
] as const;
export type Locale = (typeof LOCALES)[number]["code"];

const STORAGE_KEY = "datamoat.locale";

type Messages = Record<string, Record<string, unknown>>;

function load(files: Record<string, { default: Record<string, unknown> }>): Messages {
  const messages: Messages = {};
  for (const [path, module] of Object.entries(files)) {
    const namespace = path.split("/").pop()!.replace(/\.json$/, "");
    messages[namespace] = module.default;
  }
  return messages;
}

const messages = {
  en: load(import.meta.glob("./locales/en/*.json", { eager: true })),
  "zh-CN": load(import.meta.glob("./locales/zh-CN/*.json", { eager: true })),
};

/** The browser's first language we have, else English. */
export function browserLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  for (const language of languages) {
    const tag = language.toLowerCase();
    if (tag.startsWith("zh")) return "zh-CN"; // zh, zh-CN, zh-Hans, zh-TW: Simplified is what we have
    if (tag.startsWith("en")) return "en";
  }
  return "en";
}

function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  return LOCALES.some((l) => l.code === stored) ? (stored as Locale) : browserLocale();
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: "en",
  messages,
  // A missing key is a bug the catalogue test catches; in the page it shows the key, never blank.
  missingWarn: false,
  fallbackWarn: false,
});

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}

/** Switch the interface language and remember it; the <html lang> follows (screen readers, fonts). */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

document.documentElement.lang = initialLocale();

/** `t` for code outside components (toasts, formatters). */
export const t = i18n.global.t;
