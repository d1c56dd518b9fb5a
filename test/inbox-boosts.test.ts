/**
 * Boosts that reach the inbox from the accounts the owner follows, of anyone's notes: kept
 * and shown in the home timeline as reblogs, the note fetched through the queue when it is
 * not stored (the inbox answers before it is), and only from accounts the owner follows.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notes, reactions } from "../src/storage/schema";
import { api, db, OWNER, seedFollow } from "./helpers";
import { AS_CONTEXT, eventually, RemoteActor, received, serve } from "./support/remote";

interface Status {
  uri: string;
  account: { acct: string };
  reblog: { uri: string; account: { acct: string }; reblogs_count: number } | null;
}

const home = async (): Promise<Status[]> => {
  const res = await api("/v1/timelines/home?limit=40");
  expect(res.status).toBe(200);
  return (await res.json()) as Status[];
};

const reblogOf = async (uri: string) => (await home()).find((s) => s.reblog?.uri === uri);

const boostsOf = (activity: string) =>
  db().select().from(reactions).where(eq(reactions.id, activity));

/** An account the owner follows, on its own host. */
async function followed(username: string): Promise<RemoteActor> {
  const actor = await RemoteActor.create({ host: `${username}.boosts.test`, username });
  await seedFollow(actor.id, OWNER);
  return actor;
}

/** A public note by a stranger (not followed), served by its host but not stored here. */
async function strangersNote(username: string) {
  const author = await RemoteActor.create({ host: `${username}.boosts.test`, username });
  const note = author.note(`<p>A note by ${username}</p>`);
  await serve({ url: note.id, body: { "@context": AS_CONTEXT, ...note } });
  return { author, note };
}

describe("a boost by a followed account", () => {
  it("of a note not stored: accepted at once, the note fetched by the queue, then shown as a reblog", async () => {
    const ada = await followed("ada");
    const { author, note } = await strangersNote("cyd");
    const boost = ada.boost(note.id);
    expect((await ada.send(boost)).status).toBe(202);
    expect(await boostsOf(boost.id)).toHaveLength(1);

    const shown = await eventually(() => reblogOf(note.id));
    expect(shown).toMatchObject({
      account: { acct: "ada@ada.boosts.test" },
      reblog: { uri: note.id, account: { acct: "cyd@cyd.boosts.test" }, reblogs_count: 1 },
    });
    const gets = await received(author.host, "GET");
    expect(gets.filter((r) => r.url === note.id)).toHaveLength(1);
    // The stranger's own notes do not reach home: only the boost brought this one.
    expect((await home()).filter((s) => s.uri === note.id)).toEqual([]);
  });

  it("of a note stored already: shown at once, nothing fetched", async () => {
    const bea = await followed("bea");
    const { author, note } = await strangersNote("dot");
    const first = await followed("eli");
    expect((await first.send(first.boost(note.id))).status).toBe(202);
    await eventually(() => reblogOf(note.id));
    const fetched = (await received(author.host, "GET")).length;

    expect((await bea.send(bea.boost(note.id))).status).toBe(202);
    const [stored] = await db().select().from(notes).where(eq(notes.id, note.id));
    expect(stored?.sharesCount).toBe(2);
    expect(await received(author.host, "GET")).toHaveLength(fetched);
  });

  it("is lifted by its Undo", async () => {
    const fox = await followed("fox");
    const { note } = await strangersNote("gil");
    const boost = fox.boost(note.id);
    expect((await fox.send(boost)).status).toBe(202);
    await eventually(() => reblogOf(note.id));
    expect((await fox.send(fox.activity("Undo", boost))).status).toBe(202);
    expect(await boostsOf(boost.id)).toEqual([]);
    expect(await reblogOf(note.id)).toBeUndefined();
  });
});

describe("a boost the home timeline has no use for", () => {
  it("by an account the owner does not follow (or only asked to) is not kept, and nothing is fetched", async () => {
    const stranger = await RemoteActor.create({ host: "hal.boosts.test", username: "hal" });
    const asked = await RemoteActor.create({ host: "ivy.boosts.test", username: "ivy" });
    await seedFollow(asked.id, OWNER, "pending");
    const { author, note } = await strangersNote("jon");
    for (const booster of [stranger, asked]) {
      const boost = booster.boost(note.id);
      expect((await booster.send(boost)).status).toBe(202);
      expect(await boostsOf(boost.id)).toEqual([]);
    }
    expect(await received(author.host, "GET")).toEqual([]);
  });

  it("that is not public is not a boost, and is not kept", async () => {
    const kim = await followed("kim");
    const { note } = await strangersNote("lea");
    const boost = kim.activity("Announce", note.id, { to: [`${kim.id}/followers`] });
    expect((await kim.send(boost)).status).toBe(202);
    expect(await boostsOf(boost.id)).toEqual([]);
  });
});
