/**
 * The review loop's words: the reasons an item waits for review, and the causes of a version diff,
 * read from the free-form `detail` objects the API documents (annotation/review_apis.py,
 * curation/diff_causes.py). Readers are defensive: a field the server leaves out reads as absent.
 */
import type { DiffCauseDetail, ReasonKind } from "./types";

export const REASONS: ReadonlyArray<{ kind: ReasonKind; name: string; hint: string }> = [
  { kind: "flagged", name: "Flagged", hint: "an annotator asked for a second look" },
  { kind: "disagreement", name: "Disagreement", hint: "its annotators gave different labels" },
  { kind: "suspect", name: "Suspect label", hint: "the label-noise estimate doubts the label" },
  { kind: "model_mistake", name: "Model mistake", hint: "a trained model confidently predicted another label" },
  { kind: "low_confidence", name: "Low confidence", hint: "the consolidated label is uncertain" },
];

export function reasonName(kind: string): string {
  return REASONS.find((r) => r.kind === kind)?.name ?? kind.replace(/_/g, " ");
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
  return rows.map((r) => ({ by: String((r as Detail)?.by ?? "someone"), reason: String((r as Detail)?.reason ?? "") }));
}

export const CAUSES = ["review", "annotations", "cleaning", "import", "consolidation"] as const;

export const CAUSE_NAMES: Record<string, string> = {
  review: "Review",
  annotations: "Annotations",
  cleaning: "Cleaning",
  import: "Import",
  consolidation: "Consolidation",
};

/** One line on why a diff's item changed, e.g. "review: corrected by alice". */
export function causeText(detail: DiffCauseDetail | Detail): string {
  const d = detail as Detail;
  const cause = str(d, "cause") ?? "unknown";
  switch (cause) {
    case "review": {
      const verdict = str(d, "verdict");
      const verb = verdict === "correct" ? "corrected" : verdict === "exclude" ? "excluded" : verdict === "send_back" ? "sent back" : verdict === "accept" ? "accepted" : "reviewed";
      return str(d, "by") ? `${verb} by ${str(d, "by")}` : verb;
    }
    case "annotations":
      return "new or changed annotations";
    case "cleaning": {
      const step = str(d, "step");
      return step === "revert" ? "a cleaning revert" : step ? `cleaning step ${step.replace(/_/g, " ")}` : "cleaning";
    }
    case "import":
      return str(d, "import") ? `import #${str(d, "import")}` : "imported";
    case "consolidation":
      return d?.method_changed ? `consolidation method changed to ${methodName(str(d, "method"))}` : "consolidation estimates moved";
    default:
      return cause;
  }
}

export function methodName(method: string | null): string {
  if (method === "dawid_skene") return "Dawid–Skene";
  if (method === "majority") return "majority vote";
  return method ?? "another";
}
