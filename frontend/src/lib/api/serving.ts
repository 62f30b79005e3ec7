/** Serving a finished run (issue 9, "Serving"): predict texts with its model, download its artifacts. */
import type { components } from "../api-schema";
import { api, downloadUrl } from "./client";

export type RunPrediction = components["schemas"]["RunPredictApiOutput"];

/** The most texts one predict request takes (413 too_many_texts beyond). */
export const MAX_PREDICT_TEXTS = 1000;

/** Each text's label and probabilities (label → p, in the model's label order), in the order sent. */
export function runPredict(runId: number, texts: string[]): Promise<RunPrediction[]> {
  return api.post<RunPrediction[]>(`/runs/${runId}/predict`, { texts });
}

/** The link of the run's artifact tar (weights, tokenizer, config, metrics and a model card). */
export function runArtifactUrl(runId: number): string {
  return downloadUrl(`/runs/${runId}/artifact`);
}
