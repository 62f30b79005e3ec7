/**
 * Poll a job until it finishes (succeeded, failed, cancelled). Job rows are the truth: the UI only
 * reads the job (`fetchJob`, e.g. importGet for GET /imports/{id}) and draws its progress. Polling
 * backs off from 400 ms to 2 s and stops when the component unmounts.
 */
import { onBeforeUnmount, ref, type Ref } from "vue";
import { toastError } from "./toast";
import { FINISHED, type Job } from "./types";

export function isFinished(job: Pick<Job, "status"> | null | undefined): boolean {
  return !!job && FINISHED.includes(job.status);
}

export function usePoll<T extends Job>(fetchJob: (id: number) => Promise<T>, onFinish?: (job: T) => void) {
  const job: Ref<T | null> = ref(null);
  let timer: number | undefined;
  let stopped = false;
  let delay = 400;

  async function tick(id: number): Promise<void> {
    try {
      const fresh = await fetchJob(id);
      if (stopped) return;
      job.value = fresh;
      if (isFinished(fresh)) {
        onFinish?.(fresh);
        return;
      }
    } catch (err) {
      toastError(err, "Could not refresh progress");
      delay = Math.max(delay, 3000);
    }
    if (stopped) return;
    delay = Math.min(delay * 1.3, 2000);
    timer = window.setTimeout(() => tick(id), delay);
  }

  /** Start following a job (the 202 answer is shown at once, then polled). */
  function follow(initial: T): void {
    window.clearTimeout(timer);
    stopped = false;
    delay = 400;
    job.value = initial;
    if (isFinished(initial)) {
      onFinish?.(initial);
      return;
    }
    timer = window.setTimeout(() => tick(initial.id), delay);
  }

  function stop(): void {
    stopped = true;
    window.clearTimeout(timer);
  }

  onBeforeUnmount(stop);
  return { job, follow, stop };
}
