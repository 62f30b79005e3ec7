import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { setUnauthorizedHandler } from "./lib/api/client";
import { session } from "./lib/session";
import { toastError } from "./lib/toast";
import "./styles.css";

setUnauthorizedHandler(() => {
  session.user = null;
  const here = router.currentRoute.value;
  if (here.name !== "login") router.push({ name: "login", query: { next: here.fullPath } });
});

const app = createApp(App);
// Never a blank page: an unexpected error in a component becomes a readable message.
app.config.errorHandler = (err) => {
  console.error(err);
  toastError(err, "Something went wrong in the page");
};
app.use(router).mount("#app");
