/**
 * The identical-origin rule: every id the instance emits uses the configured origin byte for
 * byte, and a document fetched by its id answers with that same id.
 */
import { describe, expect, it } from "vitest";
import { AP, fetchWithVars, ORIGIN, OWNER, seedFollow, seedNote } from "./helpers";

/** Every string in a JSON document. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/** Fetches through the worker with other vars, as a differently configured deployment would. */
function fetchWith(vars: Partial<Record<keyof Env, string>>, url: string, accept = AP) {
  return fetchWithVars(vars, url, { headers: { Accept: accept } });
}

describe("the identical-origin rule", () => {
  it("holds across every document reachable from the actor and WebFinger", async () => {
    const { id: noteId } = await seedNote({ pinned: true });
    await seedFollow(OWNER, "https://remote.test/users/fan");
    const start = [
      OWNER,
      `${ORIGIN}/actor`,
      `${ORIGIN}/.well-known/webfinger?resource=acct:owner@outpost.test`,
      `${ORIGIN}/.well-known/nodeinfo`,
      noteId,
    ];
    const seen = new Set<string>();
    const queue = [...start];
    const emitted: string[] = [];
    while (queue.length > 0 && seen.size < 200) {
      const url = queue.shift() as string;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await fetchWithVars({}, url, { headers: { Accept: AP } });
      if (!res.headers.get("Content-Type")?.includes("json")) continue;
      expect(res.status, url).toBe(200);
      const doc = (await res.json()) as Record<string, unknown>;
      // A document fetched by its id answers with that same id.
      if (typeof doc.id === "string") expect(doc.id).toBe(url);
      for (const s of strings(doc)) {
        const parsed = URL.parse(s.replace("{uri}", "x"));
        if (parsed === null || !parsed.hostname.endsWith("outpost.test")) continue;
        emitted.push(s);
        // Inboxes take POSTs only; fragments and templates are not documents.
        if (!/[#{]|\/inbox$/.test(s)) queue.push(s);
      }
    }
    expect(seen.size).toBeGreaterThan(15);
    expect(emitted.length).toBeGreaterThan(40);
    for (const s of emitted) expect(s.startsWith(`${ORIGIN}/`), s).toBe(true);
  });

  it("uses the configured origin whatever host or scheme the request arrived on", async () => {
    for (const url of ["http://outpost.test/users/owner", "https://alias.example/users/owner"]) {
      const res = await fetchWith({}, url);
      const actor = (await res.json()) as { id: string; inbox: string };
      expect(actor.id).toBe(OWNER);
      expect(actor.inbox).toBe(`${OWNER}/inbox`);
    }
  });

  it("normalises the configured origin once (case, trailing slash, port)", async () => {
    const vars = { PUBLIC_ORIGIN: "https://Social.Example:8443/" };
    const actor = (await (
      await fetchWith(vars, "https://social.example:8443/users/owner")
    ).json()) as {
      id: string;
      publicKey: { id: string };
    };
    expect(actor.id).toBe("https://social.example:8443/users/owner");
    expect(actor.publicKey.id).toBe("https://social.example:8443/users/owner#main-key");
    const jrd = (await (
      await fetchWith(
        vars,
        "https://social.example:8443/.well-known/webfinger?resource=acct:owner@social.example:8443",
      )
    ).json()) as { subject: string };
    expect(jrd.subject).toBe("acct:owner@social.example:8443");
  });
});
