/** Training runs and their predictions (API.md, "Training"). */
import type { Page, Prediction, ProjectLoop, RunCompare, RunInput, RunSummary, TrainingRun } from "../types";
import { api } from "./client";

export function runList(projectId: number | string): Promise<RunSummary[]> {
  return api.list<RunSummary>(`/projects/${projectId}/runs`, { page_size: 200 });
}

export function runGet(runId: number): Promise<TrainingRun> {
  return api.get<TrainingRun>(`/runs/${runId}`);
}

/** Launch a run on a version; unknown engine options are refused (400). */
export function runCreate(versionId: number, body: RunInput): Promise<TrainingRun> {
  return api.post<TrainingRun>(`/versions/${versionId}/runs`, body);
}

export async function runCancel(runId: number): Promise<void> {
  await api.post(`/runs/${runId}/cancel`);
}

/** One page of a run's predictions, filtered by split and by right or wrong. */
export async function predictionList(
  runId: number,
  filters: { split?: string; correct?: boolean; pageSize?: number } = {},
): Promise<Prediction[]> {
  const query = { split: filters.split, correct: filters.correct, page_size: filters.pageSize };
  return (await api.get<Page<Prediction>>(`/runs/${runId}/predictions`, query)).results ?? [];
}

/** Two finished runs scored on the same items (the ruler when pinned): b - a, with its interval. */
export function runCompare(a: number, b: number): Promise<RunCompare> {
  return api.get<RunCompare>("/runs/compare", { a, b });
}

/** Each built version in order: its quality figures and its best finished run. */
export function projectLoop(projectId: number | string): Promise<ProjectLoop> {
  return api.get<ProjectLoop>(`/projects/${projectId}/loop`);
}
