/**
 * One Relationship, whichever route shows it: block, unblock, mute, unmute, follow and
 * unfollow answer what `/relationships` answers for the same state, with Mastodon's rules
 * (a pending follow is `requested`, not `following`, and shows boosts). And telling the
 * owner's account id from no one's reads the owner's local actor row alone.
 */
import { describe, expect, it } from "vitest";
import { findAccount } from "../src/http/api/account-views";
import { accountId } from "../src/mastodon/ids";
import { findActor } from "../src/storage/actors";
import { api, appContext, ownerAccountId, plansOf } from "./helpers";
import { OWNER, RemoteActor } from "./support/remote";

type Relationship = Record<string, unknown> & { id: string };

/** The Relationship an action answered, checked against `/relationships` for the account. */
async function answered(path: string, body?: unknown): Promise<Relationship> {
  const res = await api(path, { method: "POST", body });
  expect(res.status, await res.clone().text()).toBe(200);
  const answer = (await res.json()) as Relationship;
  const listed = await api(`/v1/accounts/relationships?id[]=${answer.id}`);
  expect(await listed.json()).toEqual([answer]);
  return answer;
}

describe("the Relationship an account action answers", { timeout: 20_000 }, () => {
  it("is the one /relationships answers, through follow, mute, block and their undoing", async () => {
    const pal = await RemoteActor.create({ host: "rel-answers.test", username: "pal" });
    // pal asks to follow the owner, and is stored.
    expect((await pal.send(pal.activity("Follow", OWNER))).status).toBe(202);
    const row = await findActor(appContext().db, pal.id);
    if (row === undefined) throw new Error("pal is not stored");
    const id = accountId(row);

    // The owner's follow waits for pal's answer: requested, showing boosts, as on Mastodon.
    expect(await answered(`/v1/accounts/${id}/follow`)).toMatchObject({
      id,
      following: false,
      requested: true,
      showing_reblogs: true,
    });
    expect(
      await answered(`/v1/accounts/${id}/mute`, { notifications: false, duration: 0 }),
    ).toMatchObject({
      muting: true,
      muting_notifications: false,
      requested: true,
      showing_reblogs: true,
    });
    expect(await answered(`/v1/accounts/${id}/unmute`)).toMatchObject({
      muting: false,
      showing_reblogs: true,
    });
    expect(await answered(`/v1/accounts/${id}/unfollow`)).toMatchObject({
      requested: false,
      showing_reblogs: false,
    });
    await answered(`/v1/accounts/${id}/follow`);
    // A block ends the follows both ways.
    expect(await answered(`/v1/accounts/${id}/block`)).toMatchObject({
      blocking: true,
      requested: false,
      showing_reblogs: false,
    });
    expect(await answered(`/v1/accounts/${id}/unblock`)).toMatchObject({ blocking: false });
  });
});

describe("the owner's account id", () => {
  it("is told from another by one read of the owner's local actor row", async () => {
    const owner = BigInt(await ownerAccountId());
    // One millisecond later, low bits 0: an id of the owner's kind that names no one.
    const other = owner + (1n << 16n);
    const ctx = appContext();
    for (const [id, kind] of [
      [owner, "owner"],
      [other, undefined],
    ] as const) {
      let found: Awaited<ReturnType<typeof findAccount>>;
      const plans = await plansOf(async (db) => {
        found = await findAccount({ ...ctx, db }, id);
      });
      expect(found?.kind).toBe(kind);
      expect(plans).toHaveLength(1);
      expect(plans[0]?.join(" ")).toContain("local_actors");
    }
  });

  it("names the owner on the account routes, and nothing one of its kind names no one", async () => {
    const owner = await ownerAccountId();
    const other = (BigInt(owner) + (1n << 16n)).toString();
    expect(await (await api(`/v1/accounts/${owner}`)).json()).toMatchObject({ id: owner });
    for (const path of ["", "/statuses", "/followers", "/lists"]) {
      expect((await api(`/v1/accounts/${other}${path}`)).status, path).toBe(404);
    }
    expect(await (await api(`/v1/accounts/${owner}/lists`)).json()).toEqual([]);
    const list = (await (await api("/v1/lists", { body: { title: "Ids" } })).json()) as {
      id: string;
    };
    const path = `/v1/lists/${list.id}/accounts`;
    // The owner cannot be on a list; with an id that is no one's, the request names no one.
    expect((await api(path, { body: { account_ids: [owner] } })).status).toBe(422);
    expect((await api(path, { body: { account_ids: [owner, other] } })).status).toBe(404);
  });
});
