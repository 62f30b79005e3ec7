/**
 * The review loop's words: the reasons an item waits for review, and the causes of a version diff,
 * read from the free-form `detail` objects the API documents (annotation/review_apis.py,
 * curation/diff_causes.py). Readers are defensive: a field the server leaves out reads as absent.
 * The words come from the `review` and `versions` catalogues, read at call time so they follow the
 * interface's language.
 */
import { t } from "../i18n";
import type { DiffCauseDetail, ReasonKind } from "./types";

export const REASONS: ReadonlyArray<{ kind: ReasonKind }> = [
  { kind: "flagged" },
  { kind: "disagreement" },
  { kind: "suspect" },
  { kind: "model_mistake" },
  { kind: "low_confidence" },
];

export function reasonName(kind: string): string {
  return isReason(kind) ? t(`review.reasons.${kind}.name`) : kind.replace(/_/g, " ");
}

/** What the reason means, e.g. "its annotators gave different labels". */
export function reasonHint(kind: ReasonKind): string {
  return t(`review.reasons.${kind}.hint`);
}

export function isReason(value: unknown): value is ReasonKind {
  return typeof value === "string" && REASONS.some((r) => r.kind === value);
}

/** Free-form JSON from the API, read field by field. */
export type Detail = Record<string, unknown> | null | undefined;

export function str(detail: Detail, key: string): string | null {
  const v = detail?.[key];
  return typeof v === "string" || typeof v === "number" ? String(v) : null;
}

export function num(detail: Detail, key: string): number | null {
  const v = detail?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** disagreement: {labels: {label: votes}}, most votes first. */
export function votes(detail: Detail): Array<[string, number]> {
  const labels = detail?.labels;
  if (!labels || typeof labels !== "object") return [];
  return Object.entries(labels as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .sort((a, b) => b[1] - a[1]);
}

/** flagged: {flags: [{by, reason}], count}. */
export function flags(detail: Detail): Array<{ by: string; reason: string }> {
  const rows = detail?.flags;
  if (!Array.isArray(rows)) return [];
  return rows.map((r) => ({ by: String((r as Detail)?.by ?? t("review.someone")), reason: String((r as Detail)?.reason ?? "") }));
}

export const CAUSES = ["review", "annotations", "cleaning", "import", "consolidation"] as const;

/** A diff cause's name ("Review", "Cleaning"...), or the cause as the server wrote it. */
export function causeName(cause: string): string {
  return (CAUSES as readonly string[]).includes(cause) ? t(`versions.causes.${cause}`) : cause;
}

/**
 * One line on why a diff's item changed, e.g. "corrected by alice": a message key of the `versions`
 * catalogue and its values. The reviewer's name and a cleaning step's name are data, kept apart so
 * the page can mark them translate="no"; `key` null means the cause is unknown and `raw` says it.
 */
export interface CauseLine {
  key: string | null;
  raw: string;
  verb: string;
  user: string;
  step: string;
  id: string;
  method: string;
}

export function causeLine(detail: DiffCauseDetail | Detail): CauseLine {
  const d = detail as Detail;
  const cause = str(d, "cause") ?? "unknown";
  const line: CauseLine = { key: null, raw: cause, verb: "", user: "", step: "", id: "", method: "" };
  switch (cause) {
    case "review": {
      const verdict = str(d, "verdict");
      const known = ["correct", "exclude", "send_back", "accept"];
      line.verb = t(`versions.causeDetail.verbs.${verdict && known.includes(verdict) ? verdict : "reviewed"}`);
      line.user = str(d, "by") ?? "";
      line.key = line.user ? "versions.causeDetail.verbBy" : "versions.causeDetail.verb";
      return line;
    }
    case "annotations":
      return { ...line, key: "versions.causeDetail.annotations" };
    case "cleaning": {
      const step = str(d, "step");
      if (step === "revert") return { ...line, key: "versions.causeDetail.cleaningRevert" };
      return step ? { ...line, key: "versions.causeDetail.cleaningStep", step: step.replace(/_/g, " ") } : { ...line, key: "versions.causeDetail.cleaning" };
    }
    case "import": {
      const id = str(d, "import");
      return id ? { ...line, key: "versions.causeDetail.importNumber", id } : { ...line, key: "versions.causeDetail.imported" };
    }
    case "consolidation":
      return d?.method_changed
        ? { ...line, key: "versions.causeDetail.methodChanged", method: methodName(str(d, "method")) }
        : { ...line, key: "versions.causeDetail.estimatesMoved" };
    default:
      return line;
  }
}

export function methodName(method: string | null): string {
  if (method === "dawid_skene") return t("review.methods.dawid_skene");
  if (method === "majority") return t("review.methods.majority");
  return method ?? t("review.methods.another");
}
