/**
 * Opaque pagination cursors: base64url of a JSON array tagged with its kind, so a cursor
 * from one listing is refused by another. Decoding is part of query validation (a bad
 * cursor is a 400 at `["query","cursor"]`).
 */
import { z } from "zod";

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** Encodes a cursor of `kind` over `key` (the last row's sort key). */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return toBase64Url(JSON.stringify([kind, ...key]));
}

/** A query parameter holding a cursor of `kind` whose key matches `keySchema`. */
export function cursorParam<K extends z.ZodType>(kind: string, keySchema: K) {
  return z
    .string()
    .max(1024)
    .transform((text, ctx): z.infer<K> => {
      const json = fromBase64Url(text);
      let value: unknown;
      try {
        value = json === null ? undefined : JSON.parse(json);
      } catch {
        value = undefined;
      }
      if (Array.isArray(value) && value[0] === kind) {
        const key = keySchema.safeParse(value.slice(1));
        if (key.success) return key.data;
      }
      ctx.addIssue({ code: "custom", message: "not a cursor from this listing; pass nextCursor as returned" });
      return z.NEVER;
    });
}
