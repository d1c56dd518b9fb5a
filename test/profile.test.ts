/**
 * The owner's profile as data: changed from Mastodon apps (JSON, forms, multipart), checked
 * as Mastodon checks it, shown by the actor, the page and the API, federated once as an
 * `Update`; posting preferences and reading markers.
 */
import { env, exports } from "cloudflare:workers";
import { and, count, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { follows, outbox } from "../src/storage/schema";
import { api, BROWSER, db, get, getJson, OWNER_TOKEN } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { ownerFollowers } from "./support/publish";
import { deliveriesAt, eventually, ORIGIN, OWNER, PUBLIC, RemoteActor } from "./support/remote";

type Credentials = {
  display_name: string;
  note: string;
  locked: boolean;
  bot: boolean;
  fields: { name: string; value: string; verified_at: null }[];
  source: {
    privacy: string;
    sensitive: boolean;
    language: string | null;
    note: string;
    fields: { name: string; value: string; verified_at: null }[];
    follow_requests_count: number;
  };
  [key: string]: unknown;
};

const UPDATE_CREDENTIALS = `${ORIGIN}/api/v1/accounts/update_credentials`;

/** PATCHes the profile with a JSON body. */
function patchJson(body: unknown): Promise<Response> {
  return api("/v1/accounts/update_credentials", { method: "PATCH", body });
}

/** PATCHes the profile with a form, url-encoded or multipart (fetch sets the type). */
function patchForm(body: URLSearchParams | FormData): Promise<Response> {
  return exports.default.fetch(UPDATE_CREDENTIALS, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${OWNER_TOKEN}` },
    body,
  });
}

async function ok(res: Promise<Response>): Promise<Credentials> {
  const response = await res;
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Credentials;
}

async function refused(res: Promise<Response>): Promise<string> {
  const response = await res;
  expect(response.status).toBe(422);
  return ((await response.json()) as { error: string }).error;
}

const verify = async () => ok(api("/v1/accounts/verify_credentials"));

/** The owner's `Update`s stored in the outbox: one per change others can see. */
const storedUpdates = async () =>
  db()
    .select()
    .from(outbox)
    .where(and(eq(outbox.type, "Update"), eq(outbox.objectId, OWNER)));

/** The `Update`s of the owner an inbox got, whose actor has this name. */
const updatesNamed = async (inbox: string, name: string) =>
  (await deliveriesAt(inbox)).filter(
    (a) => a.type === "Update" && (a.object as { name?: unknown }).name === name,
  );

const { ann, bea } = await ownerFollowers({ shared: "profile-a.test", own: "profile-b.test" });
const SHARED_A = "https://profile-a.test/inbox";

describe("the owner's profile", { timeout: 20_000 }, () => {
  it("is the vars' until the owner changes it", async () => {
    const me = await verify();
    expect(me).toMatchObject({
      display_name: "Outpost owner",
      locked: false,
      bot: false,
      source: { privacy: "public", sensitive: false, language: null, note: "", fields: [] },
    });
    expect(me).not.toHaveProperty("role");
  });

  it("changes by JSON, and the actor, the page and the API show it", async () => {
    const me = await ok(
      patchJson({
        display_name: "  Ada Lovelace ",
        note: "Counting engines.\n\nAnd poems & <things>.",
        fields_attributes: [
          { name: "Site", value: "https://ada.example/" },
          { name: "Pronouns", value: "she/her" },
        ],
      }),
    );
    expect(me).toMatchObject({
      display_name: "Ada Lovelace",
      note: "<p>Counting engines.</p><p>And poems &amp; &lt;things&gt;.</p>",
      source: {
        note: "Counting engines.\n\nAnd poems & <things>.",
        fields: [
          { name: "Site", value: "https://ada.example/", verified_at: null },
          { name: "Pronouns", value: "she/her", verified_at: null },
        ],
      },
    });
    expect(me.fields[0]?.value).toContain('rel="me');
    expect(await verify()).toMatchObject({ display_name: "Ada Lovelace" });

    const actor = await getJson(OWNER);
    expect(actor).toMatchObject({
      type: "Person",
      name: "Ada Lovelace",
      summary: "<p>Counting engines.</p><p>And poems &amp; &lt;things&gt;.</p>",
      attachment: [
        { type: "PropertyValue", name: "Site" },
        { type: "PropertyValue", name: "Pronouns", value: "she/her" },
      ],
    });
    const page = await (await get("/@owner", BROWSER)).text();
    expect(page).toContain("<h1>Ada Lovelace</h1>");
    expect(page).toContain("<dt>Pronouns</dt>");
  });

  it("federates one signed Update of the actor to each follower's server", async () => {
    const before = (await storedUpdates()).length;
    await ok(patchJson({ display_name: "Ada, Countess" }));
    const [update] = await eventually(async () => {
      const got = await updatesNamed(SHARED_A, "Ada, Countess");
      return got.length > 0 ? got : undefined;
    });
    expect(update).toMatchObject({
      type: "Update",
      actor: OWNER,
      to: [PUBLIC],
      cc: [`${OWNER}/followers`],
      object: { id: OWNER, type: "Person", name: "Ada, Countess" },
    });
    expect(update?.object).not.toHaveProperty("@context");
    await eventually(async () => (await updatesNamed(bea.inbox, "Ada, Countess")).length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await updatesNamed(SHARED_A, "Ada, Countess")).toHaveLength(1);
    expect(await updatesNamed(ann.inbox, "Ada, Countess")).toHaveLength(0);
    expect(await storedUpdates()).toHaveLength(before + 1);
  });

  it("federates nothing when nothing changed, nor for posting defaults", async () => {
    const before = (await storedUpdates()).length;
    await ok(patchJson({ display_name: "Ada, Countess", locked: false }));
    await ok(patchJson({}));
    const me = await ok(patchJson({ source: { privacy: "unlisted", language: "en" } }));
    expect(me.source).toMatchObject({ privacy: "unlisted", language: "en" });
    await new Promise((r) => setTimeout(r, 500));
    expect(await storedUpdates()).toHaveLength(before);
  });

  it("changes by url-encoded form, fields as Rails names them", async () => {
    const form = new URLSearchParams({
      display_name: "Ada (form)",
      "fields_attributes[0][name]": "Home",
      "fields_attributes[0][value]": "Marylebone",
      "fields_attributes[1][name]": "",
      "fields_attributes[1][value]": "",
      bot: "true",
      "source[sensitive]": "true",
    });
    const me = await ok(patchForm(form));
    expect(me).toMatchObject({
      display_name: "Ada (form)",
      bot: true,
      source: { sensitive: true, fields: [{ name: "Home", value: "Marylebone" }] },
    });
    expect(await getJson(OWNER)).toMatchObject({ type: "Service", name: "Ada (form)" });
  });

  it("changes by multipart, fields keyed in JSON too; an unused file input is no image", async () => {
    const form = new FormData();
    form.append("display_name", "Ada (multipart)");
    form.append("note", "Plain text");
    form.append("fields_attributes[0][name]", "A");
    form.append("fields_attributes[0][value]", "1");
    form.append("bot", "false");
    form.append("avatar", new File([], ""));
    expect(await ok(patchForm(form))).toMatchObject({
      display_name: "Ada (multipart)",
      bot: false,
      note: "<p>Plain text</p>",
      fields: [{ name: "A", value: "1" }],
    });
    const keyed = await ok(
      patchJson({ fields_attributes: { "1": { name: "Y", value: "2" }, "0": { name: "X" } } }),
    );
    expect(keyed.source.fields).toEqual([
      { name: "X", value: "", verified_at: null },
      { name: "Y", value: "2", verified_at: null },
    ]);
  });

  it("refuses what Mastodon refuses, with its 422, and changes nothing", async () => {
    const before = await verify();
    const long = (n: number) => "x".repeat(n);
    expect(await refused(patchJson({ display_name: long(31) }))).toBe(
      "Validation failed: Display name is too long (maximum is 30 characters)",
    );
    expect(await refused(patchJson({ note: long(501) }))).toMatch(/^Validation failed: Note /);
    const five = Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, value: "v" }));
    expect(await refused(patchJson({ fields_attributes: five }))).toMatch(/Fields is too long/);
    expect(
      await refused(patchJson({ fields_attributes: [{ name: long(256), value: "v" }] })),
    ).toMatch(/Fields name is too long \(maximum is 255 characters\)/);
    expect(await refused(patchJson({ fields_attributes: [{ name: "", value: "v" }] }))).toMatch(
      /missing labels/,
    );
    expect(await refused(patchJson({ source: { privacy: "direct" } }))).toMatch(/privacy/);
    expect(await refused(patchJson({ locked: "maybe" }))).toMatch(/locked/);
    const both = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      body: { display_name: long(31), note: long(501) },
    });
    expect(await both.json()).toMatchObject({
      error: expect.stringContaining("Display name is too long"),
      details: {
        display_name: [{ error: "ERR_TOO_LONG" }],
        note: [{ error: "ERR_TOO_LONG" }],
      },
    });
    // A file that is not a picture, whatever its name and type say, with the rest of the change.
    const withAvatar = new FormData();
    withAvatar.append("display_name", "Ada with a face");
    withAvatar.append("avatar", new File([new Uint8Array(2048)], "me.png", { type: "image/png" }));
    expect(await refused(patchForm(withAvatar))).toMatch(/^Validation failed: Avatar /);
    expect(await verify()).toEqual(before);
  });

  it("locked: new follows wait as requests, and unlocking accepts them", async () => {
    await ok(patchJson({ locked: true }));
    expect(await getJson(OWNER)).toMatchObject({ manuallyApprovesFollowers: true });
    const cleo = await RemoteActor.create({ host: "profile-c.test", username: "cleo" });
    expect((await cleo.send(cleo.activity("Follow", OWNER))).status).toBe(202);
    const edge = () =>
      db()
        .select()
        .from(follows)
        .where(and(eq(follows.actor, OWNER), eq(follows.follower, cleo.id)));
    expect(await edge()).toMatchObject([{ state: "pending" }]);
    expect((await verify()).source.follow_requests_count).toBe(1);

    await ok(patchJson({ locked: "false" }));
    expect(await edge()).toMatchObject([{ state: "accepted" }]);
    expect((await verify()).source.follow_requests_count).toBe(0);
    await eventually(async () =>
      (await deliveriesAt(cleo.inbox)).some(
        (a) => a.type === "Accept" && (a.object as { actor?: unknown }).actor === cleo.id,
      ),
    );
  });

  it("unlocking with many requests waiting accepts the oldest 50, in one bounded batch", async () => {
    await ok(patchJson({ locked: true }));
    const waiting = Array.from({ length: 150 }, (_, i) => ({
      actor: OWNER,
      follower: `https://crowd.test/users/u${i}`,
      state: "pending" as const,
      activityId: `https://crowd.test/follows/${i}`,
      createdAt: new Date(),
    }));
    for (let i = 0; i < waiting.length; i += 10) {
      await db()
        .insert(follows)
        .values(waiting.slice(i, i + 10));
    }
    await ok(patchJson({ locked: false }));
    const states = await db()
      .select({ state: follows.state, n: count() })
      .from(follows)
      .where(like(follows.follower, "https://crowd.test/%"))
      .groupBy(follows.state);
    expect(Object.fromEntries(states.map((r) => [r.state, r.n]))).toEqual({
      accepted: 50,
      pending: 100,
    });
    // Every Accept was queued and marked so: the cron has nothing left to send again.
    const unsent = await env.DB.prepare(
      "select count(*) as n from outbox where fanned_out_at is null",
    ).first<{ n: number }>();
    expect(unsent?.n).toBe(0);
  });

  it("gives posting preferences, which statuses default to", async () => {
    await ok(patchJson({ source: { privacy: "private", sensitive: false, language: "fr" } }));
    const res = await api("/v1/preferences");
    expect(await res.json()).toEqual({
      "posting:default:visibility": "private",
      "posting:default:sensitive": false,
      "posting:default:language": "fr",
      "reading:expand:media": "default",
      "reading:expand:spoilers": false,
    });
    const posted = await api("/v1/statuses", { body: { status: "by default" } });
    expect(await posted.json()).toMatchObject({ visibility: "private", language: "fr" });
    const chosen = await api("/v1/statuses", {
      body: { status: "chosen", visibility: "public", language: "en" },
    });
    expect(await chosen.json()).toMatchObject({ visibility: "public", language: "en" });
  });
});

describe("scopes", () => {
  it("lets a profile-only token verify credentials, and nothing else", async () => {
    const app = await registerApp({ scopes: "profile read:accounts write:accounts" });
    const token = await signIn(app, { scope: "profile", address: "10.8.0.1" });
    expect((await api("/v1/accounts/verify_credentials", { token })).status).toBe(200);
    expect((await api("/v1/preferences", { token })).status).toBe(403);
    const patch = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token,
      body: { display_name: "not allowed" },
    });
    expect(patch.status).toBe(403);
  });
});

describe("markers", () => {
  type Markers = Record<string, { last_read_id: string; version: number; updated_at: string }>;
  const read = async (query: string) =>
    (await (await api(`/v1/markers${query}`)).json()) as Markers;
  const save = async (body: unknown) => {
    const res = await api("/v1/markers", { body });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Markers;
  };

  it("round-trips, the version growing with each change", async () => {
    expect(await read("?timeline[]=home&timeline[]=notifications")).toEqual({});
    const first = await save({ home: { last_read_id: "103206604258487607" } });
    expect(first).toEqual({
      home: { last_read_id: "103206604258487607", version: 1, updated_at: expect.any(String) },
    });
    const second = await save({ home: { last_read_id: "103206604258487608" } });
    expect(second.home?.version).toBe(2);
    // The same id again changes nothing.
    const again = await save({ home: { last_read_id: "103206604258487608" } });
    expect(again.home).toEqual(second.home);

    const form = await exports.default.fetch(`${ORIGIN}/api/v1/markers`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${OWNER_TOKEN}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "notifications[last_read_id]=42",
    });
    expect(await form.json()).toMatchObject({ notifications: { last_read_id: "42", version: 1 } });

    expect(await read("?timeline[]=home&timeline[]=notifications")).toEqual({
      home: second.home,
      notifications: { last_read_id: "42", version: 1, updated_at: expect.any(String) },
    });
    expect(Object.keys(await read("?timeline[]=notifications&timeline[]=nope"))).toEqual([
      "notifications",
    ]);
    expect(await read("")).toEqual({});
  });

  it("refuses a marker without an id", async () => {
    const res = await api("/v1/markers", { body: { home: {} } });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: "Validation failed: home.last_read_id is required",
    });
  });
});
