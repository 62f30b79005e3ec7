/** The annotator queue, annotations, items and agreement (API.md, "Labeling"). */
import type { components } from "../api-schema";
import type { Agreement, Annotation, AnnotationInput, ItemDetail, NextItem, Page } from "../types";
import { api, request } from "./client";

/** One row of a project's annotation list: the annotation with its item's text. */
export type AnnotationRow = components["schemas"]["AnnotationListOutput"];
export type AnnotationUpdate = components["schemas"]["PatchedAnnotationUpdateInput"];

/** Claim the next item (a lease); null when nothing is left for you (204). `exclude` skips ids already held. */
export async function itemClaimNext(projectId: number | string, exclude: number[] = []): Promise<NextItem | null> {
  const answer = await request<NextItem>(`/projects/${projectId}/next`, { method: "POST", body: { exclude } });
  return answer.status === 204 ? null : answer.data;
}

export function annotationCreate(itemId: number, body: AnnotationInput): Promise<Annotation> {
  return api.post<Annotation>(`/items/${itemId}/annotations`, body);
}

/**
 * Change one's own annotation: the server keeps the old row (superseded) and answers the new current
 * one, under a new id. 409 `annotation_superseded` when `annotationId` was already replaced.
 */
export function annotationUpdate(annotationId: number, body: AnnotationUpdate): Promise<Annotation> {
  return api.patch<Annotation>(`/annotations/${annotationId}`, body);
}

/**
 * One page of the caller's own current annotations in a project, newest first. Pass the previous
 * page's `next` link as `cursor` for the page after it.
 */
export async function annotationListMine(projectId: number | string, cursor: string | null = null, pageSize = 50): Promise<Page<AnnotationRow>> {
  const path = cursor ?? `/projects/${projectId}/annotations`;
  const query = cursor ? undefined : { mine: true, page_size: pageSize };
  return (await request<Page<AnnotationRow>>(path, { query })).data as Page<AnnotationRow>;
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
