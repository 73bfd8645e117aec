/**
 * Hash routing (`#/stock?status=low_stock`): every view has a link that works on reload and
 * on Pages without server rewrites. Only view state goes in the URL, never a key.
 */
import { useEffect, useState } from "preact/hooks";

export interface Route {
  /** Path segments after `#/`, decoded: `#/sku/ACME-1` → ["sku", "ACME-1"]. */
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash = window.location.hash): Route {
  const raw = hash.replace(/^#\/?/, "");
  const [pathPart = "", queryPart = ""] = raw.split("?", 2);
  return {
    path: pathPart
      .split("/")
      .filter(Boolean)
      .map((s) => decodeURIComponent(s)),
    query: new URLSearchParams(queryPart),
  };
}

/** `#/a/b?x=1` from segments and query values (empty values left out). */
export function href(path: string[], query: Record<string, string | number | boolean | undefined | null> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "" && v !== false) search.set(k, String(v));
  const q = search.toString();
  return `#/${path.map((s) => encodeURIComponent(s)).join("/")}${q ? `?${q}` : ""}`;
}

export function navigate(to: string): void {
  if (window.location.hash !== to) window.location.hash = to;
}

/** The current route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const update = () => setRoute(parseHash());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
