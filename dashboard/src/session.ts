/**
 * The signed-in key lives in sessionStorage only (gone when the tab closes; never in a URL,
 * a cookie or localStorage), with what `GET /api/v2/me` said about it.
 */
import { call, setApiKey } from "./api";
import type { Me } from "./types";

const STORAGE_KEY = "edge-inventory.session";

export interface Session extends Me {
  key: string;
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.key !== "string" || (value.scope !== "operator" && value.scope !== "vendor")) return null;
    setApiKey(value.key);
    return { key: value.key, scope: value.scope, vendorId: value.vendorId ?? null };
  } catch {
    return null;
  }
}

/** Checks the key with `GET /api/v2/me` and keeps it; checkout keys have no dashboard. */
export async function signIn(key: string): Promise<Session> {
  const me = await call<Me>("GET", "/api/v2/me", { key: key.trim() });
  if (me.scope === "checkout") {
    throw new Error("This is a checkout key: it reserves stock for a storefront and has no dashboard. Sign in with an operator or vendor key.");
  }
  const session: Session = { key: key.trim(), scope: me.scope, vendorId: me.vendorId };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  setApiKey(session.key);
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  // View state kept for the session (jobs started here) goes too.
  for (const name of Object.keys(sessionStorage)) if (name.startsWith("edge-inventory.")) sessionStorage.removeItem(name);
  setApiKey(null);
}

/** Sync jobs started or opened in this session, newest first (the API has no job list yet). */
export function rememberedJobs(): string[] {
  try {
    const value = JSON.parse(sessionStorage.getItem("edge-inventory.jobs") ?? "[]") as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export function rememberJob(jobId: string): void {
  const jobs = [jobId, ...rememberedJobs().filter((j) => j !== jobId)].slice(0, 50);
  sessionStorage.setItem("edge-inventory.jobs", JSON.stringify(jobs));
}
