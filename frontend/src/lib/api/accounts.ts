/** Sign-in for the browser (the session cookie and its CSRF token) and the site admins' user
 * management (API.md, "Users and projects"). */
import type { Credentials, Page, SessionAnswer, User, UserInput, UserPatch } from "../types";
import { api } from "./client";

/** GET /auth/session: sets the csrftoken cookie and tells who is signed in. */
export function authSessionGet(): Promise<SessionAnswer> {
  return api.get<SessionAnswer>("/auth/session");
}

export function authSessionCreate(credentials: Credentials): Promise<SessionAnswer> {
  return api.post<SessionAnswer>("/auth/session", credentials);
}

export function authSessionDelete(): Promise<void> {
  return api.delete("/auth/session");
}

/** One page of users (site admins); `next` is the following page's URL, or null. */
export function userPage(query: { search?: string; page_size?: number } = {}, next?: string | null): Promise<Page<User>> {
  return next ? api.get<Page<User>>(next) : api.get<Page<User>>("/users", query);
}

export function userCreate(body: UserInput): Promise<User> {
  return api.post<User>("/users", body);
}

/** Deactivate (revokes their tokens), reactivate, make or unmake an admin, set a password. 409 self_change on oneself. */
export function userUpdate(userId: number, body: UserPatch): Promise<User> {
  return api.patch<User>(`/users/${userId}`, body);
}
