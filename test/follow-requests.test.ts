/**
 * Follow requests: the accounts waiting for a locked owner, and the answers, which federate
 * `Accept` or `Reject` of the stored `Follow` to the account's inbox and answer the
 * Relationship; the request's notification goes, an accepted one becomes a follow's.
 */
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { follows, notifications, outbox } from "../src/storage/schema";
import { api, db, linksOf, ownerAccountId } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { deliveriesAt, eventually, OWNER, RemoteActor } from "./support/remote";

type Account = { id: string; acct: string };

let owner: string;
let ada: RemoteActor;
let bea: RemoteActor;
let cyd: RemoteActor;
const follow: Record<string, string> = {};

/** The follow requests page at `path`, as the owner reads it. */
async function requests(path = "/v1/follow_requests") {
  const res = await api(path);
  expect(res.status, await res.clone().text()).toBe(200);
  return { body: (await res.json()) as Account[], res };
}

const notificationsOf = (actor: string) =>
  db()
    .select({ type: notifications.type })
    .from(notifications)
    .where(eq(notifications.account, actor));

const edge = async (actor: string) =>
  (
    await db()
      .select()
      .from(follows)
      .where(and(eq(follows.actor, OWNER), eq(follows.follower, actor)))
  )[0];

beforeAll(async () => {
  owner = await ownerAccountId();
  const locked = await api("/v1/accounts/update_credentials", {
    method: "PATCH",
    body: { locked: true },
  });
  expect(locked.status).toBe(200);
  [ada, bea, cyd] = (await Promise.all(
    ["ada", "bea", "cyd"].map((u) =>
      RemoteActor.create({ host: "follow-requests.test", username: u }),
    ),
  )) as [RemoteActor, RemoteActor, RemoteActor];
  for (const actor of [ada, bea, cyd]) {
    const activity = actor.activity("Follow", OWNER);
    follow[actor.id] = activity.id;
    expect((await actor.send(activity)).status).toBe(202);
  }
});

describe("the requests", () => {
  it("lists the accounts waiting, newest request first, paged", async () => {
    const first = await requests("/v1/follow_requests?limit=2");
    expect(first.body.map((a) => a.acct)).toEqual([
      "cyd@follow-requests.test",
      "bea@follow-requests.test",
    ]);
    const next = linksOf(first.res).next;
    expect(next).toContain("limit=2");
    const second = await requests(next);
    expect(second.body.map((a) => a.acct)).toEqual(["ada@follow-requests.test"]);
    expect(linksOf(second.res).next).toBeUndefined();
    expect(await notificationsOf(ada.id)).toEqual([{ type: "follow_request" }]);
  });
});

describe("answering", { timeout: 20_000 }, () => {
  it("authorize accepts: the edge, an Accept to the follower's inbox, the notification a follow", async () => {
    const [listed] = (await requests()).body.filter((a) => a.acct.startsWith("ada@"));
    const res = await api(`/v1/follow_requests/${listed?.id}/authorize`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: listed?.id,
      followed_by: true,
      requested_by: false,
      following: false,
    });
    expect(await edge(ada.id)).toMatchObject({ state: "accepted" });
    expect(await notificationsOf(ada.id)).toEqual([{ type: "follow" }]);
    const accept = await eventually(async () =>
      (await deliveriesAt(ada.inbox)).find((a) => a.type === "Accept"),
    );
    expect(accept).toMatchObject({
      actor: OWNER,
      to: [ada.id],
      object: { id: follow[ada.id], type: "Follow", actor: ada.id, object: OWNER },
    });
    // Counted and listed as a follower now; no longer a request.
    const followers = (await (await api(`/v1/accounts/${owner}/followers`)).json()) as Account[];
    expect(followers.map((a) => a.acct)).toContain("ada@follow-requests.test");
    expect((await requests()).body.map((a) => a.acct)).not.toContain("ada@follow-requests.test");
  });

  it("reject turns down: the edge gone, a Reject to the follower's inbox, no notification", async () => {
    const [listed] = (await requests()).body.filter((a) => a.acct.startsWith("bea@"));
    const res = await api(`/v1/follow_requests/${listed?.id}/reject`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: listed?.id,
      followed_by: false,
      requested_by: false,
    });
    expect(await edge(bea.id)).toBeUndefined();
    expect(await notificationsOf(bea.id)).toEqual([]);
    const reject = await eventually(async () =>
      (await deliveriesAt(bea.inbox)).find((a) => a.type === "Reject"),
    );
    expect(reject).toMatchObject({
      actor: OWNER,
      object: { id: follow[bea.id], type: "Follow", actor: bea.id, object: OWNER },
    });
    expect((await requests()).body.map((a) => a.acct)).toEqual(["cyd@follow-requests.test"]);
  });

  it("answers 404 for an unknown account, or one with no request waiting", async () => {
    const [adaAccount] = (await (await api(`/v1/accounts/${owner}/followers`)).json()) as Account[];
    for (const path of [
      "/v1/follow_requests/99999/authorize",
      "/v1/follow_requests/99999/reject",
      "/v1/follow_requests/nope/reject",
      `/v1/follow_requests/${adaAccount?.id}/authorize`,
      `/v1/follow_requests/${owner}/authorize`,
    ]) {
      const res = await api(path, { method: "POST" });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: "Record not found" });
    }
  });

  it("needs read:follows to list and write:follows to answer (403)", async () => {
    const app = await registerApp();
    const reader = await signIn(app, { scope: "read:follows", address: "10.33.0.1" });
    expect((await api("/v1/follow_requests", { token: reader })).status).toBe(200);
    const [cydAccount] = (await requests()).body;
    const refused = await api(`/v1/follow_requests/${cydAccount?.id}/authorize`, {
      method: "POST",
      token: reader,
    });
    expect(refused.status).toBe(403);
    const accounts = await signIn(app, { scope: "read:accounts", address: "10.33.0.2" });
    expect((await api("/v1/follow_requests", { token: accounts })).status).toBe(403);
    const writer = await signIn(app, { scope: "write:follows", address: "10.33.0.3" });
    const answered = await api(`/v1/follow_requests/${cydAccount?.id}/reject`, {
      method: "POST",
      token: writer,
    });
    expect(answered.status).toBe(200);
  });

  it("answers once when answered twice at once: one Accept, one notification, the other 404", async () => {
    for (const [username, second] of [
      ["dee", "authorize"],
      ["eli", "reject"],
    ] as const) {
      const asker = await RemoteActor.create({ host: "follow-requests.test", username });
      expect((await asker.send(asker.activity("Follow", OWNER))).status).toBe(202);
      const [listed] = (await requests()).body.filter((a) => a.acct.startsWith(`${username}@`));
      const answers = await Promise.all(
        ["authorize", second].map((path) =>
          api(`/v1/follow_requests/${listed?.id}/${path}`, { method: "POST" }),
        ),
      );
      expect(answers.map((res) => res.status).sort(), username).toEqual([200, 404]);
      const sent = (await db().select().from(outbox)).filter((a) =>
        JSON.stringify(a.payload.to).includes(asker.id),
      );
      expect(sent, username).toHaveLength(1);
      const accepted = sent[0]?.type === "Accept";
      expect(await edge(asker.id), username).toEqual(accepted ? expect.anything() : undefined);
      expect(await notificationsOf(asker.id), username).toEqual(
        accepted ? [{ type: "follow" }] : [],
      );
    }
  });
});
