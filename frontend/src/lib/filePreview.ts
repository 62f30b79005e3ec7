/**
 * A preview of an upload before it is sent: the first rows and the column names, read from the first
 * 64 KB in the browser, so the uploader can pick the text, label and annotator columns. Only a preview:
 * the server's readers (platform/ingestion/readers) decide what the file holds, and report bad rows.
 *
 *   const preview = await filePreview(file, "csv");
 *   preview.columns  // ["review", "stars", "rater"]
 *   preview.rows     // [{review: "...", stars: "5", rater: "ann"}, ...]
 */

import { t } from "../i18n";

export const PREVIEW_BYTES = 64 * 1024;
export const PREVIEW_ROWS = 5;

/** Formats the browser can read a head of; Parquet and the tool exports are read by the server only. */
const PREVIEWABLE = ["csv", "tsv", "jsonl", "json", "txt"] as const;
type Previewable = (typeof PREVIEWABLE)[number];

/** The same suffixes as the server's format_from_name (Label Studio and doccano must be named). */
const BY_SUFFIX: Record<string, string> = {
  csv: "csv", tsv: "tsv", tab: "tsv", jsonl: "jsonl", ndjson: "jsonl", json: "json", parquet: "parquet", pq: "parquet", txt: "txt",
};

export function formatFromName(name: string): string | null {
  const dot = name.lastIndexOf(".");
  return dot >= 0 ? BY_SUFFIX[name.slice(dot + 1).toLowerCase()] ?? null : null;
}

export type Row = Record<string, unknown>;

export interface Preview {
  format: string;
  /** False for formats read by the server only (parquet, labelstudio, doccano): `note` says why. */
  available: boolean;
  columns: string[];
  rows: Row[];
  /** Rows read from the head (all of them, not only the ones shown). */
  rowsRead: number;
  /** The file is longer than the head that was read. */
  partial: boolean;
  note: string;
}

const FORMAT_NAMES: Record<string, string> = { parquet: "Parquet", labelstudio: "Label Studio", doccano: "doccano" };

function unavailable(format: string, note?: string): Preview {
  const name = FORMAT_NAMES[format] ?? format.toUpperCase();
  return {
    format, available: false, columns: [], rows: [], rowsRead: 0, partial: false,
    note: note ?? t("upload.preview.unavailable", { name }),
  };
}

export async function filePreview(file: File, format: string | null): Promise<Preview> {
  const chosen = format || formatFromName(file.name);
  if (!chosen) return unavailable("?", t("upload.preview.unknownFormat"));
  if (!(PREVIEWABLE as readonly string[]).includes(chosen)) return unavailable(chosen);
  const partial = file.size > PREVIEW_BYTES;
  // `stream: true` holds back a character cut in half at the end of the slice instead of garbling it.
  const bytes = await file.slice(0, PREVIEW_BYTES).arrayBuffer();
  const text = new TextDecoder("utf-8").decode(bytes, { stream: partial }).replace(/^\uFEFF/, "");
  try {
    return parse(chosen as Previewable, text, partial);
  } catch (err) {
    return unavailable(chosen, t("upload.preview.unreadable", { format: chosen.toUpperCase(), error: err instanceof Error ? err.message : String(err) }));
  }
}

function parse(format: Previewable, text: string, partial: boolean): Preview {
  let columns: string[] = [];
  let rows: Row[] = [];
  if (format === "csv" || format === "tsv") {
    const records = format === "csv" ? parseCsv(text) : text.split(/\r?\n/).map((line) => line.split("\t"));
    if (partial) records.pop(); // the last record may be cut off by the 64 KB slice
    const nonEmpty = records.filter((r) => r.some((v) => v.trim() !== ""));
    const header = (nonEmpty.shift() ?? []).map((h) => h.trim());
    if (!header.some(Boolean)) throw new Error(t("upload.preview.noHeader"));
    columns = header;
    rows = nonEmpty.map((values) => Object.fromEntries(header.map((h, i) => [h, values[i] ?? ""])));
  } else if (format === "jsonl") {
    const lines = text.split(/\r?\n/);
    if (partial) lines.pop();
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const value = JSON.parse(line);
        if (value && typeof value === "object" && !Array.isArray(value)) rows.push(value as Row);
      } catch {
        // a bad line is the server's to report, with its number
      }
    }
    if (!rows.length) throw new Error(t("upload.preview.noJsonLine"));
  } else if (format === "json") {
    rows = (partial ? jsonArrayHead(text) : wholeJsonArray(text)).filter((v): v is Row => !!v && typeof v === "object" && !Array.isArray(v));
    if (!rows.length) throw new Error(t("upload.preview.noJsonObject"));
  } else {
    const lines = text.split(/\r?\n/);
    if (partial) lines.pop();
    rows = lines.filter((l) => l.trim()).map((l) => ({ text: l }));
    columns = ["text"];
  }
  if (!columns.length) {
    const seen = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
    columns = [...seen];
  }
  return { format, available: true, columns, rows: rows.slice(0, PREVIEW_ROWS), rowsRead: rows.length, partial, note: "" };
}

/** RFC 4180 CSV: double quotes, "" inside them, newlines inside quoted fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

function wholeJsonArray(text: string): unknown[] {
  const value = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error(t("upload.preview.notJsonArray"));
  return value;
}

/** The complete elements at the start of a JSON array whose end was cut off. */
export function jsonArrayHead(text: string): unknown[] {
  const start = text.indexOf("[");
  if (start < 0 || text.slice(0, start).trim()) throw new Error(t("upload.preview.noJsonArrayStart"));
  const out: unknown[] = [];
  let depth = 0;
  let inString = false;
  let from = -1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      if (depth === 0 && from < 0) from = i;
    } else if (c === "{" || c === "[") {
      if (depth === 0) from = i;
      depth++;
    } else if (c === "}" || c === "]") {
      if (depth === 0) break; // the array's own end
      depth--;
      if (depth === 0) {
        out.push(JSON.parse(text.slice(from, i + 1)));
        from = -1;
      }
    } else if (c === "," && depth === 0 && from >= 0) {
      out.push(JSON.parse(text.slice(from, i))); // a scalar element
      from = -1;
    } else if (depth === 0 && from < 0 && !/\s|,/.test(c)) from = i;
  }
  return out;
}

// Usual column names, English and Chinese (a Chinese export often names its columns in Chinese).
const GUESSES = {
  text: ["text", "content", "sentence", "review", "body", "message", "comment", "document", "utterance", "tweet",
    "文本", "内容", "句子", "评论", "评价", "正文", "留言"],
  label: ["label", "labels", "class", "category", "sentiment", "target", "gold", "tag", "标签", "类别", "分类", "情感", "情感倾向"],
  annotator: ["annotator", "rater", "worker", "annotator_id", "worker_id", "labeler", "labeller", "user", "标注员", "标注者", "标注人"],
};

/**
 * The columns most likely meant for each role: a usual name (any case), and for the text the column
 * with the longest values when no name fits.
 */
export function guessColumns(preview: Preview): { text: string; label: string; annotator: string } {
  const lower = new Map(preview.columns.map((c) => [c.toLowerCase(), c]));
  const named = (names: string[]) => names.map((n) => lower.get(n)).find((c) => c !== undefined) ?? "";
  let text = named(GUESSES.text);
  if (!text) {
    const length = (c: string) => preview.rows.reduce((sum, r) => sum + (typeof r[c] === "string" ? (r[c] as string).length : 0), 0);
    text = [...preview.columns].sort((a, b) => length(b) - length(a))[0] ?? "";
  }
  const label = named(GUESSES.label.filter((n) => lower.get(n) !== text));
  const annotator = named(GUESSES.annotator.filter((n) => lower.get(n) !== text && lower.get(n) !== label));
  return { text, label, annotator };
}

/** A cell as the preview table shows it: strings as they are, other values as JSON, long ones cut. */
export function cell(value: unknown, length = 80): string {
  const s = value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return s.length > length ? `${s.slice(0, length)}…` : s;
}
