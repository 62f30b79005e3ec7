/** Who is signed in, shared by every page. */
import { reactive } from "vue";
import { api } from "./api";
import type { User } from "./types";

export const session = reactive<{ user: User | null; loaded: boolean }>({ user: null, loaded: false });

/** GET /auth/session: sets the csrftoken cookie and tells who is signed in. */
export async function sessionLoad(): Promise<User | null> {
  const data = await api.get<{ user: User | null }>("/auth/session");
  session.user = data?.user ?? null;
  session.loaded = true;
  return session.user;
}

export async function sessionLogin(username: string, password: string): Promise<User> {
  const data = await api.post<{ user: User }>("/auth/session", { username, password });
  session.user = data.user;
  session.loaded = true;
  // Django rotates the CSRF token at login; fetch the fresh cookie before the next unsafe request.
  await sessionLoad();
  return data.user;
}

export async function sessionLogout(): Promise<void> {
  await api.delete("/auth/session");
  session.user = null;
  await sessionLoad();
}
