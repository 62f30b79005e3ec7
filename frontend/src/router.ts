import { createRouter, createWebHistory } from "vue-router";
import { session, sessionLoad } from "./lib/session";

/** Routes. Django answers index.html for every non-API path, so history mode deep links work. */
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/login", name: "login", component: () => import("./pages/LoginPage.vue"), meta: { public: true } },
    { path: "/", name: "projects", component: () => import("./pages/ProjectsPage.vue") },
    { path: "/projects/:id(\\d+)", name: "project", component: () => import("./pages/ProjectPage.vue"), props: true },
    { path: "/projects/:id(\\d+)/label", name: "label", component: () => import("./pages/LabelPage.vue"), props: true },
    { path: "/projects/:id(\\d+)/versions", name: "versions", component: () => import("./pages/VersionsPage.vue"), props: true },
    { path: "/projects/:id(\\d+)/review", name: "review", component: () => import("./pages/ReviewPage.vue"), props: true },
    { path: "/projects/:id(\\d+)/runs/compare", name: "runs-compare", component: () => import("./pages/RunComparePage.vue"), props: true },
    { path: "/projects/:id(\\d+)/runs", name: "runs", component: () => import("./pages/RunsPage.vue"), props: true },
    { path: "/projects/:id(\\d+)/settings", name: "settings", component: () => import("./pages/ProjectSettingsPage.vue"), props: true },
    { path: "/users", name: "users", component: () => import("./pages/UsersPage.vue") },
    { path: "/projects/:id(\\d+)/items", name: "items", component: () => import("./pages/ItemsPage.vue"), props: true },
    { path: "/projects/:id(\\d+)/items/:itemId(\\d+)", name: "item", component: () => import("./pages/ItemPage.vue"), props: true },
    { path: "/:pathMatch(.*)*", name: "not-found", component: () => import("./pages/NotFoundPage.vue"), meta: { public: true } },
  ],
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (!session.loaded) {
    try {
      await sessionLoad();
    } catch {
      session.loaded = true; // the login page shows the server error when it retries
    }
  }
  if (!to.meta.public && !session.user) return { name: "login", query: { next: to.fullPath } };
  if (to.name === "login" && session.user) return { name: "projects" };
  return true;
});
