/**
 * Peers talk to the owner: mentions and replies, likes and boosts and their undos, edits and
 * deletes, a renamed profile, a deleted account. What the owner's API shows must follow.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, followOwner, items, ownerId, sleep, total } from "./outpost";
import { Peer } from "./peer";

interface Notification {
  id: string;
  type: string;
  account: { acct: string; display_name: string };
  status?: { id: string; uri: string; content: string };
}

const notifications = (type: string) =>
  api<Notification[]>(`/api/v1/notifications?types[]=${type}&limit=40`);

describe("peers talk to the owner", () => {
  let peer: Peer;
  let fan: Peer;
  let ownerNote: { id: string; uri: string };
  beforeAll(async () => {
    [peer, fan] = await Promise.all([
      Peer.start({ actors: [{ username: "erin", displayName: "Erin" }] }),
      Peer.start({ firstKnock: "rfc9421", actors: [{ username: "finn" }] }),
    ]);
    ownerNote = await api(`/api/v1/statuses`, { body: { status: "What do you think?" } });
  });
  afterAll(() => Promise.all([peer.close(), fan.close()]));

  /** Erin mentions the owner: the note's id, and its status id once Outpost shows it. */
  async function mentionOwner(content: string) {
    const note = await peer.post("erin", { content, to: [ownerId], mention: [ownerId] });
    const seen = await eventually(
      async () => (await notifications("mention")).find((n) => n.status?.uri === note),
      { what: "the note" },
    );
    return { note, id: seen.status?.id };
  }

  it("a mention and a reply show in notifications, sanitised", async () => {
    const mention = await peer.post("erin", {
      content: `<p><span class="h-card"><a href="${ownerId}" class="u-url mention">@owner</a></span> hi <script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">click</a></p>`,
      to: [ownerId],
      mention: [ownerId],
    });
    const reply = await peer.post("erin", {
      content: "<p>I agree</p>",
      to: [ownerId],
      mention: [ownerId],
      inReplyTo: ownerNote.uri,
    });
    const shown = await eventually(
      async () => {
        const list = await notifications("mention");
        return list.length === 2 && list;
      },
      { what: "two mention notifications" },
    );
    const byUri = new Map(shown.map((n) => [n.status?.uri, n]));
    const m = byUri.get(mention);
    expect(m?.account.acct).toBe(peer.handle("erin"));
    expect(m?.status?.content).toContain("hi");
    expect(m?.status?.content).not.toMatch(/script|onclick|javascript:/i);
    const r = byUri.get(reply);
    expect(r?.status?.content).toContain("I agree");
    const status = await api(`/api/v1/statuses/${r?.status?.id}`);
    expect(status.in_reply_to_id).toBe(ownerNote.id);
  });

  it("likes, boosts and their undos change the counts", async () => {
    const counts = async () => {
      const s = await api(`/api/v1/statuses/${ownerNote.id}`);
      return [s.favourites_count, s.reblogs_count];
    };
    const like = await peer.like("erin", ownerNote.uri, ownerId);
    const boost = await peer.boost("erin", ownerNote.uri, ownerId);
    await fan.like("finn", ownerNote.uri, ownerId);
    await eventually(async () => String(await counts()) === "2,1", { what: "2 likes, 1 boost" });
    // The same Like delivered again (a sender's retry), and a second Like of the note by
    // the same account (a new id), count once. (Inbox processing happens before the 202.)
    await peer.resend("erin", like, ownerId);
    await peer.like("erin", ownerNote.uri, ownerId);
    await sleep(300);
    expect(await counts()).toEqual([2, 1]);
    expect((await notifications("favourite")).map((n) => n.account.acct).sort()).toEqual(
      [peer.handle("erin"), fan.handle("finn")].sort(),
    );

    await peer.undo("erin", like, ownerId);
    await peer.undo("erin", boost, ownerId);
    await eventually(async () => String(await counts()) === "1,0", { what: "the undos" });
  });

  it("the owner replies to, likes and boosts a peer's note, then takes them back", async () => {
    const { note, id } = await mentionOwner("<p>Anyone?</p>");
    const reply = await api("/api/v1/statuses", {
      body: { status: `@${peer.handle("erin")} Me!`, in_reply_to_id: id },
    });
    await api(`/api/v1/statuses/${id}/favourite`, { body: {} });
    await api(`/api/v1/statuses/${id}/reblog`, { body: {} });
    const about = (r: { json: Record<string, unknown> }) => {
      const object = r.json.object as string | { id?: string; object?: string };
      return typeof object === "string" ? object : (object.object ?? object.id);
    };
    const created = await eventually(
      () => peer.inbox("Create").find((r) => (r.json.object as { id?: string }).id === reply.uri),
      { what: "the reply" },
    );
    expect((created.json.object as { inReplyTo?: string }).inReplyTo).toBe(note);
    await eventually(() => peer.inbox("Like").some((r) => about(r) === note), { what: "the Like" });
    await eventually(() => peer.inbox("Announce").some((r) => about(r) === note), {
      what: "the Announce",
    });
    for (const r of [...peer.inbox("Like"), ...peer.inbox("Announce")]) {
      expect(r.json.actor).toBe(ownerId);
    }

    await api(`/api/v1/statuses/${id}/unfavourite`, { body: {} });
    await api(`/api/v1/statuses/${id}/unreblog`, { body: {} });
    const undone = await eventually(
      () => {
        const undos = peer.inbox("Undo").filter((r) => about(r) === note);
        return undos.length === 2 && undos;
      },
      { what: "the two Undos" },
    );
    expect(undone.map((r) => (r.json.object as { type?: string }).type).sort()).toEqual([
      "Announce",
      "Like",
    ]);
  });

  it("an edit and a delete of a peer's note are reflected", async () => {
    const { note, id } = await mentionOwner("<p>tpyo</p>");
    await peer.edit("erin", { noteId: note, content: "<p>typo</p>", to: [ownerId] });
    const edited = await eventually(
      async () => {
        const status = await api(`/api/v1/statuses/${id}`);
        return status.content.includes("typo") && status;
      },
      { what: "the edit" },
    );
    expect(edited.content).not.toContain("tpyo");
    expect(edited.edited_at).not.toBeNull();
    await peer.deleteNote("erin", note, [ownerId]);
    expect(
      await eventually(async () => (await statusCode(`/api/v1/statuses/${id}`)) === 404, {
        what: "the delete",
      }),
    ).toBe(true);
    const mentions = await notifications("mention");
    expect(mentions.map((n) => n.status?.uri)).not.toContain(note);
  });

  it("a renamed profile shows at once", async () => {
    const account = await api(`/api/v1/accounts/lookup?acct=${peer.handle("erin")}`);
    expect(account.display_name).toBe("Erin");
    await peer.rename("erin", "Erin Renamed", [ownerId]);
    const after = await api(`/api/v1/accounts/${account.id}`);
    expect(after.display_name).toBe("Erin Renamed");
    const looked = await api(`/api/v1/accounts/lookup?acct=${peer.handle("erin")}`);
    expect(looked.display_name).toBe("Erin Renamed");
  });

  it("a deleted account leaves the followers, with no refetch loop", async () => {
    await followOwner(fan, "finn");
    const followers = await total("followers");
    expect(await items("followers")).toContain(fan.actorId("finn"));
    await fan.deleteSelf("finn", [ownerId]);
    await eventually(async () => (await total("followers")) === followers - 1, {
      what: "the follower to go",
    });
    expect(await items("followers")).not.toContain(fan.actorId("finn"));
    // Late activities of the deleted account change nothing, and its server, which now
    // answers 410 for it, is asked at most once.
    const fetches = () => fan.log.filter((r) => r.method === "GET" && r.path === "/users/finn");
    const likes = async () => (await api(`/api/v1/statuses/${ownerNote.id}`)).favourites_count;
    const [before, likesBefore] = [fetches().length, await likes()];
    // Fedify throws on anything but 2xx, with the answer's status in its message.
    const lateLike = () =>
      fan.like("finn", ownerNote.uri, ownerId).then(
        () => "accepted",
        (error: unknown) => String(error).match(/\b(4\d\d)\b/)?.[1] ?? String(error),
      );
    const answers = [await lateLike()];
    const afterFirst = fetches().length;
    answers.push(await lateLike(), await lateLike());
    await sleep(500);
    // Refused: the key's owner is gone (its server says 410), remembered without asking again.
    expect(answers).toEqual(["401", "401", "401"]);
    expect(afterFirst - before).toBeLessThanOrEqual(1);
    expect(fetches().length).toBe(afterFirst);
    expect(await likes()).toBe(likesBefore);
  });
});

async function statusCode(path: string): Promise<number> {
  try {
    await api(path);
    return 200;
  } catch (error) {
    return Number(String(error).match(/: (\d{3}) /)?.[1] ?? 0);
  }
}
