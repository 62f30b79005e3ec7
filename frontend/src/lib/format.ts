/** Number and date formatting in the interface's language. Undefined statistics (null from the API)
 * read "n/a" (无), never 0. */
import { currentLocale, t } from "../i18n";

const NA = () => t("common.na");

export function na(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NA();
  return value.toFixed(digits);
}

export function pct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NA();
  return `${(value * 100).toFixed(digits)}%`;
}

export function int(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NA();
  return Math.round(value).toLocaleString(currentLocale());
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return NA();
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60_000)} min ${Math.round((value % 60_000) / 1000)} s`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(currentLocale(), { dateStyle: "medium", timeStyle: "short" });
}

export function shortHash(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 12) : NA();
}

/** A signed difference: "+0.012", "−0.030", "±0.000". */
export function signed(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return NA();
  return `${value > 0 ? "+" : value < 0 ? "−" : "±"}${Math.abs(value).toFixed(digits)}`;
}

/** A difference of two shares in percentage points, signed: "+3.2 pts". */
export function points(value: number | null | undefined): string {
  if (value === null || value === undefined) return NA();
  return t("common.points", { value: signed(value * 100, 1) });
}

/** A long text cut to ``length`` characters, with an ellipsis. */
export function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
