/**
 * The one way the app talks to Datamoat's REST API (/api/v1, see shared/API.md). Pages call the
 * per-resource modules beside this one (projects.ts, versions.ts...), which name each endpoint once
 * and type it with the generated schema types; this module holds the transport they share.
 *
 * Browser auth is Django's session: cookies go with every request (same origin) and unsafe requests
 * carry X-CSRFToken from the csrftoken cookie. Every failure becomes an ApiError holding the server's
 * human message ({"error": {code, message, fields}}), so a page can always show something readable.
 */

import { currentLocale, t } from "../../i18n";
import type { ErrorBody, Page } from "../types";

export interface FieldErrors {
  [field: string]: string[] | string | FieldErrors;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** The message plus the first field errors, e.g. "Invalid input. labels: This list may not be empty." */
  get detail(): string {
    const parts = Object.entries(this.fields ?? {})
      .slice(0, 3)
      .map(([name, value]) => `${name}: ${flatten(value).join(" ")}`);
    return parts.length ? `${this.message} ${parts.join("; ")}` : this.message;
  }
}

function flatten(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (value && typeof value === "object") return Object.values(value).flatMap(flatten);
  return [String(value)];
}

export const API_ROOT = "/api/v1";

function cookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** Called when the server says we are not signed in (401), so the app can go to the login page. */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown; // a plain object is sent as JSON, FormData as multipart
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T | null; // null for 204 No Content
}

function url(path: string, query?: RequestOptions["query"]): string {
  const base = path.startsWith("http") || path.startsWith("/api/") ? path : `${API_ROOT}${path}`;
  if (!query) return base;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${base}${base.includes("?") ? "&" : "?"}${qs}` : base;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const method = options.method ?? "GET";
  // The interface's language, so the server's messages come in it (error codes never change).
  const headers: Record<string, string> = { Accept: "application/json", "Accept-Language": currentLocale() };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  if (method !== "GET") {
    const token = cookie("csrftoken");
    if (token) headers["X-CSRFToken"] = token;
  }
  let response: Response;
  try {
    response = await fetch(url(path, options.query), {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", t("common.errors.network"));
  }
  if (response.status === 204) return { status: 204, data: null };
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    // Not every failure carries the envelope (a proxy's 502 page): read it defensively.
    const envelope = (data as Partial<ErrorBody> | null)?.error;
    const error = new ApiError(
      response.status,
      envelope?.code ?? `http_${response.status}`,
      envelope?.message ?? fallbackMessage(response.status),
      (envelope?.fields as FieldErrors | undefined) ?? {},
    );
    if (response.status === 401 && onUnauthorized) onUnauthorized();
    throw error;
  }
  return { status: response.status, data: data as T };
}

function fallbackMessage(status: number): string {
  if (status === 401) return t("common.errors.signIn");
  if (status === 403) return t("common.errors.forbidden");
  if (status === 404) return t("common.errors.notFound");
  if (status === 413) return t("common.errors.tooLarge");
  if (status >= 500) return t("common.errors.server", { status });
  return t("common.errors.failed", { status });
}

/** JSON helpers for the resource modules: each answers the body (null for 204 No Content). */
export const api = {
  async get<T>(path: string, query?: RequestOptions["query"]): Promise<T> {
    return (await request<T>(path, { query })).data as T;
  },
  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await request<T>(path, { method: "POST", body })).data as T;
  },
  async patch<T>(path: string, body?: unknown): Promise<T> {
    return (await request<T>(path, { method: "PATCH", body })).data as T;
  },
  async delete(path: string): Promise<void> {
    await request(path, { method: "DELETE" });
  },
  /** Every page of a keyset-paginated list (bounded, for small lists such as versions and runs). */
  async list<T>(path: string, query?: RequestOptions["query"], maxPages = 20): Promise<T[]> {
    const rows: T[] = [];
    let next: string | null = url(path, query);
    for (let page = 0; next && page < maxPages; page++) {
      const data: Page<T> = (await request<Page<T>>(next)).data as Page<T>;
      rows.push(...(data?.results ?? []));
      next = data?.next ?? null;
    }
    return rows;
  },
};

/** Build a link for a file download (exports): same origin, the session cookie authenticates it. */
export function downloadUrl(path: string, query?: RequestOptions["query"]): string {
  return url(path, query);
}
