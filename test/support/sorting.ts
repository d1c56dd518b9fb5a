/** Shared by the lists and filters tests: remote accounts and notes, forms, answers. */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { accountId, noteId } from "../../src/mastodon/ids";
import { type ActorRow, actors, notes } from "../../src/storage/schema";
import { db, ORIGIN, OWNER_TOKEN, tick } from "../helpers";

let serial = 0;
/** A remote account stored as the inbox stores one; its row and Mastodon id. */
export async function seedActor(name: string): Promise<{ row: ActorRow; apiId: string }> {
  const id = `https://remote.test/users/${name}`;
  const [row] = await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: name,
      domain: "remote.test",
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
      createdAt: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("actor not stored");
  return { row, apiId: accountId(row) };
}

/** A note by `author` as the inbox stores one; its IRI and status id. */
export async function seedPost(
  author: string,
  options: { content?: string; inReplyTo?: string; visibility?: "public" | "direct" } = {},
) {
  serial += 1;
  const id = `${author}/notes/${serial}`;
  const [row] = await db()
    .insert(notes)
    .values({
      id,
      attributedTo: author,
      inReplyTo: options.inReplyTo ?? null,
      content: options.content ?? `<p>post ${serial}</p>`,
      visibility: options.visibility ?? "public",
      published: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("note not stored");
  return { id, statusId: noteId(row) };
}

export async function json<T>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const response = await res;
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

/** A form-encoded request, as many apps send them. */
export function formRequest(path: string, method: string, pairs: [string, string][]) {
  return exports.default.fetch(`${ORIGIN}/api${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${OWNER_TOKEN}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(pairs).toString(),
  });
}
