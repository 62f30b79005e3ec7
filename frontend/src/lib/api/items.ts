/** The item browser: a project's items with filters, bulk actions, and one item's page (API.md, "Labeling"). */
import type { components, operations } from "../api-schema";
import type { Page } from "../types";
import { api, request } from "./client";

type Schemas = components["schemas"];

export type ItemRow = Schemas["ItemOutput"];
export type ItemStatus = Schemas["ItemStatusEnum"];
export type ItemFilters = Schemas["ItemFilter"];
export type ItemOrdering = NonNullable<NonNullable<operations["projects_items_list"]["parameters"]["query"]>["ordering"]>;
export type BulkInput = Schemas["ItemBulkInput"];
export type BulkAction = BulkInput["action"];
export type BulkResult = Schemas["ItemBulkOutput"];
export type ItemDetail = Schemas["ItemDetailOutput"];
export type CleaningChange = Schemas["ItemHistoryOutput"];
export type ItemPrediction = Schemas["ItemPredictionOutput"];

/** The statuses in the order a project moves through them. */
export const ITEM_STATUSES: readonly ItemStatus[] = ["unlabeled", "in_progress", "done", "reviewed", "excluded"];
/** The server acts on at most this many items per bulk request (annotation.item_services.MAX_BULK_ITEMS). */
export const MAX_BULK_ITEMS = 10_000;

/** The filters as query parameters: unset ones are left out, so the server applies none. */
function filterQuery(filters: ItemFilters): Record<string, string | number | boolean | undefined> {
  return {
    search: filters.search || undefined,
    label: filters.label || undefined,
    excluded: filters.excluded,
    status: filters.status || undefined,
    annotator: filters.annotator || undefined,
    disagreement: filters.disagreement,
    suspect: filters.suspect,
    confidence_below: filters.confidence_below,
  };
}

/**
 * One page of a project's items. The first page from the filters and ordering; the pages after it
 * from the previous page's `next` link (keyset paging: the link carries the filters and the cursor).
 */
export async function itemPage(
  projectId: number | string,
  filters: ItemFilters,
  options: { ordering?: ItemOrdering; next?: string | null; pageSize?: number } = {},
): Promise<Page<ItemRow>> {
  if (options.next) return (await request<Page<ItemRow>>(options.next)).data as Page<ItemRow>;
  return api.get<Page<ItemRow>>(`/projects/${projectId}/items`, {
    ...filterQuery(filters),
    ordering: options.ordering && options.ordering !== "id" ? options.ordering : undefined,
    page_size: options.pageSize ?? 50,
  });
}

/**
 * How many items match the filters, counted by reading the list in its largest pages (the list has no
 * count). Stops past `limit`: then the answer is `limit + 1`, "more than the limit". `onProgress` sees
 * the running count; `signal` stops it.
 */
export async function itemCount(
  projectId: number | string,
  filters: ItemFilters,
  options: { limit?: number; onProgress?: (counted: number) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const limit = options.limit ?? MAX_BULK_ITEMS;
  let counted = 0;
  let next: string | null = null;
  do {
    const path: string = next ?? `/projects/${projectId}/items`;
    const query = next ? undefined : { ...filterQuery(filters), page_size: 1000 };
    const page = (await request<Page<ItemRow>>(path, { query, signal: options.signal })).data as Page<ItemRow>;
    counted += page.results.length;
    next = page.next;
    options.onProgress?.(Math.min(counted, limit + 1));
  } while (next && counted <= limit);
  return Math.min(counted, limit + 1);
}

/** Apply one action to the items named by id, or to every item matching the filters, in one request. */
export function itemBulk(projectId: number | string, body: BulkInput): Promise<BulkResult> {
  return api.post<BulkResult>(`/projects/${projectId}/items/bulk`, body);
}

/** One item with its annotations, reviews, leases, cleaning history and predictions (reviewers and managers). */
export function itemGet(itemId: number | string): Promise<ItemDetail> {
  return api.get<ItemDetail>(`/items/${itemId}`);
}
