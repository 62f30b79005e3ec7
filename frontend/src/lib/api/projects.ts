/** Projects, their members and their statistics (API.md, "Users and projects"). */
import type { Membership, MembershipInput, Project, ProjectInput, ProjectStats } from "../types";
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

export function projectStats(projectId: number | string): Promise<ProjectStats> {
  return api.get<ProjectStats>(`/projects/${projectId}/stats`);
}

export function memberList(projectId: number): Promise<Membership[]> {
  return api.list<Membership>(`/projects/${projectId}/members`, { page_size: 500 });
}

export function memberCreate(projectId: number, body: MembershipInput): Promise<Membership> {
  return api.post<Membership>(`/projects/${projectId}/members`, body);
}
