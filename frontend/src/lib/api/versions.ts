/** Dataset versions: build, read, compare and export (API.md, "Versions"). */
import type { DatasetVersion, EvaluationSet, VersionDiff, VersionInput, VersionSummary } from "../types";
import { ApiError, api, downloadUrl } from "./client";

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

/** The project's pinned evaluation set (the fixed ruler), or null when none is pinned. */
export async function evaluationSetGet(projectId: number | string): Promise<EvaluationSet | null> {
  try {
    return await api.get<EvaluationSet>(`/projects/${projectId}/evaluation-set`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code === "no_evaluation_set") return null;
    throw err;
  }
}

/** Pin a built version's split as the project's evaluation set (managers; once per project, 409 after). */
export function evaluationSetPin(projectId: number | string, versionId: number, split = "test"): Promise<EvaluationSet> {
  return api.post<EvaluationSet>(`/projects/${projectId}/evaluation-set`, { from_version: versionId, split });
}
