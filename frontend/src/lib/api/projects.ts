/** Projects, their members, their label schema and their statistics (API.md, "Users and projects"). */
import type {
  LabelDeleteInput,
  LabelEdit,
  LabelMergeInput,
  LabelRenameInput,
  MemberRole,
  Membership,
  MembershipInput,
  Project,
  ProjectInput,
  ProjectPatch,
  ProjectStats,
} from "../types";
import { api } from "./client";

export function projectList(): Promise<Project[]> {
  return api.list<Project>("/projects", { page_size: 200 });
}

export function projectGet(projectId: number | string): Promise<Project> {
  return api.get<Project>(`/projects/${projectId}`);
}

export function projectCreate(body: ProjectInput): Promise<Project> {
  return api.post<Project>("/projects", body);
}

/** Settings; a `labels` list that drops a label still in use is a 409 labels_in_use (use the label edits). */
export function projectUpdate(projectId: number | string, body: ProjectPatch): Promise<Project> {
  return api.patch<Project>(`/projects/${projectId}`, body);
}

export function projectStats(projectId: number | string): Promise<ProjectStats> {
  return api.get<ProjectStats>(`/projects/${projectId}/stats`);
}

export function memberList(projectId: number): Promise<Membership[]> {
  return api.list<Membership>(`/projects/${projectId}/members`, { page_size: 500 });
}

export function memberCreate(projectId: number, body: MembershipInput): Promise<Membership> {
  return api.post<Membership>(`/projects/${projectId}/members`, body);
}

/** 409 last_manager when it would leave the project without a manager. */
export function memberUpdate(projectId: number, username: string, role: MemberRole): Promise<Membership> {
  return api.patch<Membership>(`/projects/${projectId}/members/${encodeURIComponent(username)}`, { role });
}

/** 409 last_manager for the project's last manager; their annotations stay. */
export function memberRemove(projectId: number, username: string): Promise<void> {
  return api.delete(`/projects/${projectId}/members/${encodeURIComponent(username)}`);
}

// Label schema edits that carry the annotations along; with `dry_run: true` each only counts.

export function labelRename(projectId: number | string, body: LabelRenameInput): Promise<LabelEdit> {
  return api.post<LabelEdit>(`/projects/${projectId}/labels/rename`, body);
}

export function labelMerge(projectId: number | string, body: LabelMergeInput): Promise<LabelEdit> {
  return api.post<LabelEdit>(`/projects/${projectId}/labels/merge`, body);
}

export function labelDelete(projectId: number | string, body: LabelDeleteInput): Promise<LabelEdit> {
  return api.post<LabelEdit>(`/projects/${projectId}/labels/delete`, body);
}
