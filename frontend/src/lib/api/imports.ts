/** File imports into a project, followed as jobs (API.md, "Data"). */
import type { ImportInput, ImportJob, Page } from "../types";
import { api, request } from "./client";

/** POST /projects/{id}/imports as multipart: the file and the reader options; empty ones are left out, so the server's defaults apply. */
export async function importCreate(projectId: number, input: Omit<ImportInput, "file"> & { file: File }): Promise<ImportJob> {
  const body = new FormData();
  for (const [name, value] of Object.entries(input)) {
    if (value instanceof File) body.set(name, value);
    else if (Array.isArray(value)) value.forEach((v) => body.append(name, String(v))); // hidden_fields: the field repeated
    else if (value !== undefined && value !== "") body.set(name, String(value));
  }
  return (await request<ImportJob>(`/projects/${projectId}/imports`, { method: "POST", body })).data as ImportJob;
}

export function importGet(importId: number): Promise<ImportJob> {
  return api.get<ImportJob>(`/imports/${importId}`);
}

/** The project's most recent import, if any. */
export async function importLatest(projectId: number): Promise<ImportJob | undefined> {
  return (await api.get<Page<ImportJob>>(`/projects/${projectId}/imports`, { page_size: 1 })).results?.[0];
}
