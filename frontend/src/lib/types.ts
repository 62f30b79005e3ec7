/**
 * The API's shapes under the names the app uses, all taken from the generated api-schema.d.ts
 * (`make types` regenerates it from the OpenAPI schema; tests/frontend_tests fails when it lags).
 * Never write an answer's shape by hand here: declare the field in the serializer, then `make types`.
 */
import type { components } from "./api-schema";

type Schemas = components["schemas"];

// --- conventions ------------------------------------------------------------------------------

export type JobStatus = Schemas["JobStatusEnum"];
export const FINISHED: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];
/** What every job object carries (API.md, "Conventions"). */
export type Job = Pick<Schemas["ImportOutput"], "id" | "status" | "progress" | "error" | "created_at" | "started_at" | "finished_at">;

/** The error envelope every failure answers with (API.md, "Conventions"). */
export type ErrorBody = Schemas["ErrorOutput"];
/** One keyset page: the shape of every `Paginated<X>List` component. */
export type Page<T> = { results: T[]; next: string | null };

// --- accounts and projects --------------------------------------------------------------------

export type User = Schemas["UserOutput"];
export type UserInput = Schemas["UserListCreateApiInput"];
export type UserPatch = Schemas["UserDetailApiPatchedInput"];
export type Credentials = Schemas["CredentialsInput"];
export type SessionAnswer = Schemas["AuthSessionApiOutput"];

export type TaskType = Schemas["TaskTypeEnum"];
export type MemberRole = Schemas["RoleEnum"];
export type Role = "admin" | MemberRole;
export type Project = Schemas["ProjectOutput"];
export type ProjectInput = Schemas["ProjectInput"];
export type ProjectStats = Schemas["ProjectStatsOutput"];
export type Membership = Schemas["MembershipOutput"];
export type MembershipInput = Schemas["MemberListCreateApiInput"];
export type ProjectPatch = Schemas["ProjectDetailApiPatchedUpdate"];
export type ProjectProgress = Schemas["ProjectProgressOutput"];
export type QueueOrder = Schemas["QueueOrderEnum"];
/** What a label schema edit touches (rename, merge, delete; with dry_run, what it would). */
export type LabelEdit = Schemas["LabelEditOutput"];
export type LabelRenameInput = Schemas["LabelRenameInput"];
export type LabelMergeInput = Schemas["LabelMergeInput"];
export type LabelDeleteInput = Schemas["LabelDeleteInput"];

// --- data: imports and cleaning ---------------------------------------------------------------

export type ImportJob = Schemas["ImportOutput"];
export type ImportInput = Schemas["ImportListCreateApiInput"];

export type CleaningStep = Schemas["CleaningStepListApiCleaningStepOutput"];
export type CleaningParam = Schemas["CleaningStepParam"];
export type CleaningRunInput = Schemas["CleaningRunListCreateApiInput"];
export type CleaningRun = Schemas["CleaningRunOutput"];
export type CleaningStepCount = Schemas["CleaningStepCount"];
export type CleaningRevert = Schemas["CleaningRevertOutput"];

// --- labeling ---------------------------------------------------------------------------------

export type NextItem = Schemas["ItemNextOutput"];
export type AnnotationInput = Schemas["AnnotationCreateInput"];
export type Annotation = Schemas["AnnotationOutput"];
export type ItemDetail = Schemas["ItemDetailOutput"];
export type Agreement = Schemas["ProjectAgreement"];
export type AnnotatorFigures = Schemas["AnnotatorFiguresOutput"];

// --- review -----------------------------------------------------------------------------------

export type ReviewNext = Schemas["ReviewNextOutput"];
export type ReviewNextInput = Schemas["ReviewNextInput"];
export type ReviewReason = Schemas["ReasonOutput"];
/** Why an item waits: disagreement, low_confidence, suspect, model_mistake or flagged. */
export type ReasonKind = ReviewReason["kind"];
export type ReviewQueue = Schemas["ReviewQueueOutput"];
export type ReviewQueueCounts = Schemas["ReviewQueueCounts"];
export type ReviewCandidate = Schemas["ReviewCandidate"];
export type ReviewInput = Schemas["ReviewCreateInput"];
export type Verdict = ReviewInput["verdict"];
export type Review = Schemas["ReviewOutput"];
export type Flag = Schemas["FlagOutput"];

// --- versions ---------------------------------------------------------------------------------

export type DatasetVersion = Schemas["VersionOutput"];
/** A version in lists: its quality report lacks the suspect list. */
export type VersionSummary = Schemas["VersionSummaryOutput"];
export type VersionInput = Schemas["VersionListCreateApiInput"];
export type Consolidation = Schemas["ConsolidationEnum"];
export type QualityReport = Schemas["QualityReportOutput"];
export type QualityAgreement = Schemas["QualityAgreementOutput"];
export type VersionDiff = Schemas["VersionDiffApiOutput"];
export type DiffCause = Schemas["DiffItemOutput"]["cause"];
export type DiffCauseDetail = Schemas["DiffItemOutput"]["cause_detail"];
export type EvaluationSet = Schemas["EvaluationSetOutput"];
export type EvaluationSetInput = Schemas["EvaluationSetInput"];

// --- training ---------------------------------------------------------------------------------

export type RunSummary = Schemas["RunSummaryOutput"];
export type TrainingRun = Schemas["RunOutput"];
export type RunInput = Schemas["RunCreateApiInput"];
/** A run's metrics: the test split's at the top level, each split's, and facts of the run. */
export type RunMetrics = Schemas["RunMetricsOutput"];
export type SplitMetrics = Schemas["SplitMetricsOutput"];
export type LossPoint = Schemas["LossPointOutput"];
export type Prediction = Schemas["PredictionListApiOutput"];
export type VersionHeadline = Schemas["VersionHeadlineOutput"];
export type RunCompare = Schemas["RunCompareOutput"];
export type ProjectLoop = Schemas["ProjectLoopOutput"];
export type LoopVersion = ProjectLoop["versions"][number];
