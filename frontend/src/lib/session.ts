/** Who is signed in, shared by every page. */
import { reactive } from "vue";
import { authSessionCreate, authSessionDelete, authSessionGet } from "./api/accounts";
import type { User } from "./types";

export const session = reactive<{ user: User | null; loaded: boolean }>({ user: null, loaded: false });

/** GET /auth/session: sets the csrftoken cookie and tells who is signed in. */
export async function sessionLoad(): Promise<User | null> {
  const data = await authSessionGet();
  session.user = data?.user ?? null;
  session.loaded = true;
  return session.user;
}

export async function sessionLogin(username: string, password: string): Promise<User> {
  const data = await authSessionCreate({ username, password });
  session.user = data.user;
  session.loaded = true;
  // Django rotates the CSRF token at login; fetch the fresh cookie before the next unsafe request.
  await sessionLoad();
  return data.user as User;
}

export async function sessionLogout(): Promise<void> {
  await authSessionDelete();
  session.user = null;
  await sessionLoad();
}
