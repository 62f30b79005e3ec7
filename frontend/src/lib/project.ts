/** Load one project and what the signed-in user may do in it (role-aware pages). */
import { computed, ref, watch, type Ref } from "vue";
import { t } from "../i18n";
import { projectGet } from "./api/projects";
import { session } from "./session";
import { toastError } from "./toast";
import type { Project } from "./types";

export function useProject(id: Ref<string | number>) {
  const project = ref<Project | null>(null);
  const error = ref<string>("");
  const loading = ref(true);

  async function load(): Promise<void> {
    loading.value = true;
    error.value = "";
    try {
      project.value = await projectGet(id.value);
    } catch (err) {
      error.value = toastError(err, t("project.loadFailed"));
    } finally {
      loading.value = false;
    }
  }

  watch(id, load, { immediate: true });

  const role = computed(() => (session.user?.is_admin ? "admin" : project.value?.role ?? null));
  const canManage = computed(() => role.value === "admin" || role.value === "manager");
  const canReview = computed(() => canManage.value || role.value === "reviewer");
  return { project, error, loading, role, canManage, canReview, reload: load };
}
