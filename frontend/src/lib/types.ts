/** Shapes of the API's answers (shared/API.md). Fields the API may add later are optional here. */

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export const FINISHED: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];

export interface Job {
  id: number;
  status: JobStatus;
  progress: { done: number; total: number };
  error: string | null;
  created_at: string;
  started_at?: string | null;
  finished_at: string | null;
}

export interface User {
  id: number;
  username: string;
  email?: string;
  is_admin: boolean;
}

export type Role = "admin" | "manager" | "reviewer" | "annotator";
export type TaskType = "classification" | "multilabel" | "spans";

export interface Project {
  id: number;
  name: string;
  task_type: TaskType;
  labels: string[];
  guidelines: string;
  annotations_per_item: number;
  created_at: string;
  role: Role | null;
}

export interface Membership {
  id: number;
  username: string;
  user_id: number;
  role: Exclude<Role, "admin">;
  created_at: string;
}

export interface ProjectStats {
  items: number;
  excluded: number;
  annotated_items: number;
  completed_items: number;
  annotations: number;
  label_counts: Record<string, number>;
}

export interface RowError {
  row: number | string;
  message: string;
}

export interface ImportJob extends Job {
  file_name?: string;
  format?: string;
  created: number;
  duplicates: number;
  annotations: number;
  skipped_rows: number;
  errors: RowError[];
}

export interface CleaningStepInfo {
  op: string;
  description?: string;
  params?: Record<string, unknown>; // name → default value (or a schema-ish object)
}

export interface CleaningStepCount {
  op: string;
  changed: number;
  excluded: number;
  [extra: string]: unknown;
}

export interface CleaningRun extends Job {
  steps: CleaningStepCount[] | Array<Record<string, unknown>>;
  step_counts?: CleaningStepCount[];
  reverted_at?: string | null;
}

export interface CohenPair {
  a: string;
  b: string;
  kappa: number | null;
  n: number;
}

export interface AnnotatorFigures {
  annotator: string;
  name?: string;
  items?: number;
  items_done?: number;
  median_lead_time_ms?: number | null;
  agreement_with_consensus?: number | null;
  [extra: string]: unknown;
}

export interface Agreement {
  items_compared: number;
  percent_agreement: number | null;
  fleiss_kappa: number | null;
  krippendorff_alpha: number | null;
  cohen_kappa: CohenPair[];
  per_label?: Record<string, Record<string, number | null>>;
  annotators?: AnnotatorFigures[];
}

export interface NextItem {
  item: { id: number; text: string; meta: Record<string, unknown> };
  lease_expires_at: string;
}

export interface Suspect {
  item_id: number;
  text?: string;
  given: string;
  suggested: string;
  self_confidence: number;
}

/** The version's quality report. Built by curation; every field is optional so partial reports render. */
export interface QualityReport {
  items?: number;
  counts?: Record<string, number>;
  label_distribution?: Record<string, number>;
  imbalance_ratio?: number | null;
  annotations_per_item?: { mean?: number; min?: number; max?: number; median?: number; [k: string]: unknown } | number;
  agreement?: Partial<Agreement> | null;
  duplicate_rate?: number | null;
  near_duplicate_rate?: number | null;
  duplicates?: { exact?: number; near?: number; exact_rate?: number; near_rate?: number; [k: string]: unknown };
  pii_count?: number | null;
  pii?: { total?: number; by_type?: Record<string, number>; [k: string]: unknown } | null;
  label_noise?: {
    estimated_rate?: number | null;
    method?: string;
    suspects?: Suspect[];
    [k: string]: unknown;
  } | null;
  [extra: string]: unknown;
}

export interface DatasetVersion extends Job {
  number: number;
  name?: string;
  consolidation?: string;
  split?: Record<string, number>;
  seed?: number;
  content_hash: string;
  counts: Record<string, number>;
  quality: QualityReport;
}

export interface VersionDiff {
  added: number;
  removed: number;
  relabeled: number;
  unchanged: number;
  [lists: string]: unknown;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  accuracy?: number;
  macro_f1?: number;
  per_class?: Record<string, ClassMetrics>;
  confusion_matrix?: number[][];
  labels?: string[];
  [split: string]: unknown;
}

export interface TrainingRun extends Job {
  version: number | { id: number; number?: number; name?: string; counts?: Record<string, number>; quality?: QualityReport };
  model?: string;
  config?: Record<string, unknown>;
  device?: string;
  history?: Array<{ step: number; epoch: number; loss: number; val_loss?: number }>;
  metrics?: Metrics & { val?: Metrics; test?: Metrics };
}

export interface ItemDetail {
  id: number;
  text: string;
  raw_text: string;
  meta: Record<string, unknown>;
  excluded_reason: string;
  annotations?: Array<{ id?: number; annotator?: string | null; source?: string; value?: unknown; label?: string; lead_time_ms?: number | null; created_at?: string; author?: string }>;
}
