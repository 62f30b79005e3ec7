/** Dataset versions: build, read, compare and export (API.md, "Versions"). */
import type { DatasetVersion, VersionDiff, VersionInput, VersionSummary } from "../types";
import { api, downloadUrl } from "./client";

export function versionList(projectId: number | string): Promise<VersionSummary[]> {
  return api.list<VersionSummary>(`/projects/${projectId}/versions`, { page_size: 200 });
}

export function versionGet(versionId: number): Promise<DatasetVersion> {
  return api.get<DatasetVersion>(`/versions/${versionId}`);
}

export function versionCreate(projectId: number | string, body: VersionInput): Promise<DatasetVersion> {
  return api.post<DatasetVersion>(`/projects/${projectId}/versions`, body);
}

export function versionDiff(versionId: number, againstId: number): Promise<VersionDiff> {
  return api.get<VersionDiff>(`/versions/${versionId}/diff`, { against: againstId });
}

/** The download link of an export; the browser fetches it with the session cookie. */
export function versionExportUrl(versionId: number, format: string, split: string): string {
  return downloadUrl(`/versions/${versionId}/export`, { format, split });
}
