/** Sign-in for the browser: the session cookie and its CSRF token (API.md, "Users and projects"). */
import type { Credentials, SessionAnswer } from "../types";
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
