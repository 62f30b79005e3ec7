/** Cleaning steps, runs and their reverts (API.md, "Data"). */
import type { CleaningRevert, CleaningRun, CleaningRunInput, CleaningStep, Page } from "../types";
import { api } from "./client";

/** The step catalogue with each step's parameters. */
export async function cleaningStepList(): Promise<CleaningStep[]> {
  return (await api.get<Page<CleaningStep>>("/cleaning-steps")).results ?? [];
}

/** The project's latest cleaning runs, newest first (one page). */
export async function cleaningRunList(projectId: number, pageSize = 10): Promise<CleaningRun[]> {
  return (await api.get<Page<CleaningRun>>(`/projects/${projectId}/cleaning-runs`, { page_size: pageSize })).results ?? [];
}

/** Steps are `{op, ...params}`, run in order. */
export function cleaningRunCreate(projectId: number, steps: CleaningRunInput["steps"]): Promise<CleaningRun> {
  return api.post<CleaningRun>(`/projects/${projectId}/cleaning-runs`, { steps });
}

export function cleaningRunGet(runId: number): Promise<CleaningRun> {
  return api.get<CleaningRun>(`/cleaning-runs/${runId}`);
}

/** Starts a revert job that puts every item the run changed back. */
export function cleaningRunRevert(runId: number): Promise<CleaningRevert> {
  return api.post<CleaningRevert>(`/cleaning-runs/${runId}/revert`);
}

export function cleaningRevertGet(revertId: number): Promise<CleaningRevert> {
  return api.get<CleaningRevert>(`/cleaning-reverts/${revertId}`);
}
