/** The review loop: the reviewer's queue, verdicts and flags (issue 7; API.md "Labeling"). */
import type { Flag, ReasonKind, Review, ReviewInput, ReviewNext, ReviewQueue } from "../types";
import { api, request } from "./client";

/**
 * Claim the next item to review (a lease), of one reason when given; null when nothing waits (204).
 * `exclude` names items the caller holds or skipped, so they are not handed back (at most 100).
 */
export async function reviewClaimNext(
  projectId: number | string,
  options: { reason?: ReasonKind | null; exclude?: number[] } = {},
): Promise<ReviewNext | null> {
  const body = { reason: options.reason ?? undefined, exclude: (options.exclude ?? []).slice(-100) };
  const answer = await request<ReviewNext>(`/projects/${projectId}/review-next`, { method: "POST", body });
  return answer.status === 204 ? null : answer.data;
}

/** What waits for review (one page, best first) and the counts per reason. */
export function reviewQueue(projectId: number | string, reason?: ReasonKind | null, pageSize = 20): Promise<ReviewQueue> {
  return api.get<ReviewQueue>(`/projects/${projectId}/review-queue`, { reason: reason ?? undefined, page_size: pageSize });
}

/** Only the counts of what waits, per reason (one row of the queue is fetched and dropped). */
export async function reviewCounts(projectId: number | string): Promise<ReviewQueue["counts"]> {
  return (await reviewQueue(projectId, null, 1)).counts;
}

/** A verdict: accept, correct (with the value), exclude (with a reason) or send back. */
export function reviewCreate(itemId: number, body: ReviewInput): Promise<Review> {
  return api.post<Review>(`/items/${itemId}/reviews`, body);
}

/** Flag an item for a reviewer's look (any member, typically while labeling). */
export function flagCreate(itemId: number, reason = ""): Promise<Flag> {
  return api.post<Flag>(`/items/${itemId}/flags`, { reason });
}
