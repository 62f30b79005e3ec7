import { createApp } from "vue";
import App from "./App.vue";
import { i18n, t } from "./i18n";
import { router } from "./router";
import { setUnauthorizedHandler } from "./lib/api/client";
import { session } from "./lib/session";
import { toastError } from "./lib/toast";
import "./styles.css";

// A 401 on a page means the session ended (expired, or signed out elsewhere): say so on the login page
// and come back to the same place afterwards. Several requests can fail at once; one redirect is enough.
let redirecting = false;
setUnauthorizedHandler(() => {
  session.user = null;
  const here = router.currentRoute.value;
  if (here.name === "login" || redirecting) return;
  redirecting = true;
  router.push({ name: "login", query: { next: here.fullPath, expired: "1" } }).finally(() => (redirecting = false));
});

const app = createApp(App);
// Never a blank page: an unexpected error in a component becomes a readable message.
app.config.errorHandler = (err) => {
  console.error(err);
  toastError(err, t("app.pageError"));
};
app.use(i18n).use(router).mount("#app");
