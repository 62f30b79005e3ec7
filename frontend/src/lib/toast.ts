/** Readable messages for every failure (and a few successes), shown by <ToastHost>. */
import { reactive } from "vue";
import { t } from "../i18n";
import { ApiError } from "./api/client";

export interface Toast {
  id: number;
  kind: "error" | "success" | "info";
  message: string;
}

export const toasts = reactive<Toast[]>([]);
let seq = 0;

export function toast(message: string, kind: Toast["kind"] = "info", ms = kind === "error" ? 8000 : 3500): void {
  const id = ++seq;
  toasts.push({ id, kind, message });
  window.setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  const at = toasts.findIndex((t) => t.id === id);
  if (at >= 0) toasts.splice(at, 1);
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Show any failure as an error toast; returns the message so a page can also show it inline. */
export function toastError(err: unknown, prefix = ""): string {
  const message = prefix ? t("app.errorWithPrefix", { prefix, message: errorMessage(err) }) : errorMessage(err);
  // A 401 is the session ending: the app goes to the login page, which says so; no toast on the way.
  if (!(err instanceof ApiError && err.status === 401)) toast(message, "error");
  return message;
}
