/** The annotator queue, annotations, items and agreement (API.md, "Labeling"). */
import type { Agreement, Annotation, AnnotationInput, ItemDetail, NextItem } from "../types";
import { api, request } from "./client";

/** Claim the next item (a lease); null when nothing is left for you (204). `exclude` skips ids already held. */
export async function itemClaimNext(projectId: number | string, exclude: number[] = []): Promise<NextItem | null> {
  const answer = await request<NextItem>(`/projects/${projectId}/next`, { method: "POST", body: { exclude } });
  return answer.status === 204 ? null : answer.data;
}

export function annotationCreate(itemId: number, body: AnnotationInput): Promise<Annotation> {
  return api.post<Annotation>(`/items/${itemId}/annotations`, body);
}

export async function itemSkip(itemId: number): Promise<void> {
  await request(`/items/${itemId}/skip`, { method: "POST" });
}

/** One item with its annotations (managers and reviewers). */
export function itemGet(itemId: number | string): Promise<ItemDetail> {
  return api.get<ItemDetail>(`/items/${itemId}`);
}

export function agreementGet(projectId: number | string): Promise<Agreement> {
  return api.get<Agreement>(`/projects/${projectId}/agreement`);
}
