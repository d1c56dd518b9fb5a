/**
 * The owner's avatar and header: uploaded with `update_credentials` (multipart), checked by
 * their bytes, stored in the real local R2, shown by the API and the actor, served from
 * `/media`, federated in an `Update` of the actor; removed with `DELETE /api/v1/profile/*`.
 */
import { exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { toActor } from "../src/activitypub/actor";
import { readProfile } from "../src/storage/owner-profile";
import { media, outbox } from "../src/storage/schema";
import { api, db, fetchWithVars, getJson, OWNER_TOKEN, request, testConfig } from "./helpers";
import { makePng } from "./support/png";
import { ownerFollowers } from "./support/publish";
import { deliveriesAt, eventually, ORIGIN, OWNER } from "./support/remote";

type Account = {
  avatar: string;
  avatar_static: string;
  header: string;
  header_static: string;
  display_name: string;
};
type Image = { type: string; mediaType?: string; url: string };
type Actor = { icon?: Image; image?: Image };

const MISSING_AVATAR = `${ORIGIN}/avatars/missing.png`;
const MISSING_HEADER = `${ORIGIN}/headers/missing.png`;

function patchForm(form: FormData): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}/api/v1/accounts/update_credentials`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${OWNER_TOKEN}` },
    body: form,
  });
}

async function ok(res: Promise<Response>): Promise<Account> {
  const response = await res;
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Account;
}

const verify = () => ok(api("/v1/accounts/verify_credentials"));
const remove = (which: "avatar" | "header") =>
  ok(api(`/v1/profile/${which}`, { method: "DELETE" }));

/** The owner's `Update`s stored in the outbox. */
const storedUpdates = async () =>
  db()
    .select()
    .from(outbox)
    .where(and(eq(outbox.type, "Update"), eq(outbox.objectId, OWNER)));

/** The `Update`s of the owner an inbox got whose actor shows this avatar (none: no icon). */
const updatesWithIcon = async (inbox: string, url: string | undefined) =>
  (await deliveriesAt(inbox)).filter(
    (a) => a.type === "Update" && (a.object as Actor).icon?.url === url,
  );

const { bea } = await ownerFollowers({ shared: "images-a.test", own: "images-b.test" });
const SHARED = "https://images-a.test/inbox";

describe("the owner's avatar and header", { timeout: 20_000 }, () => {
  const avatarPng = makePng({ width: 4, height: 3 });
  const headerPng = makePng({ width: 9, height: 3 });

  it("are uploaded by multipart, shown by the API and the actor, and served from /media", async () => {
    const form = new FormData();
    form.append("display_name", "Ada pictured");
    form.append("avatar", new File([await avatarPng], "me.png", { type: "image/png" }));
    // The declared type is not what counts: the bytes are.
    form.append("header", new File([await headerPng], "banner.jpg", { type: "image/jpeg" }));
    const me = await ok(patchForm(form));
    expect(me.display_name).toBe("Ada pictured");
    expect(me.avatar).toMatch(new RegExp(`^${ORIGIN}/media/avatars/[0-9a-f]{32}\\.png$`));
    expect(me.header).toMatch(new RegExp(`^${ORIGIN}/media/headers/[0-9a-f]{32}\\.png$`));
    expect(me.avatar_static).toBe(me.avatar);
    expect(me.header_static).toBe(me.header);
    expect(await verify()).toMatchObject({ avatar: me.avatar, header: me.header });

    const actor = await getJson<Actor>(OWNER);
    expect(actor.icon).toEqual({ type: "Image", mediaType: "image/png", url: me.avatar });
    expect(actor.image).toEqual({ type: "Image", mediaType: "image/png", url: me.header });

    const served = await request(me.avatar);
    expect(served.status).toBe(200);
    expect(served.headers.get("Content-Type")).toBe("image/png");
    expect(served.headers.get("Content-Disposition")).toBe("inline");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(await avatarPng);

    const [row] = await db()
      .select()
      .from(media)
      .where(eq(media.key, me.avatar.slice(`${ORIGIN}/media/`.length)));
    expect(row).toMatchObject({ purpose: "avatar", kind: "image", width: 4, height: 3 });

    // Everywhere else the owner is shown: WebFinger, the profile page, the instance.
    const jrd = await getJson<{ links: { rel: string; href?: string; type?: string }[] }>(
      `/.well-known/webfinger?resource=${encodeURIComponent(OWNER)}`,
    );
    expect(jrd.links).toContainEqual({
      rel: "http://webfinger.net/rel/avatar",
      href: me.avatar,
      type: "image/png",
    });
    const page = await (await request("/@owner", { headers: { Accept: "text/html" } })).text();
    expect(page).toContain(`<img class="avatar" src="${me.avatar}"`);
    expect(page).toContain(`<img class="header" src="${me.header}"`);
    const instance = await getJson<{ thumbnail: { url: string } }>("/api/v2/instance");
    expect(instance.thumbnail.url).toBe(me.header);
  });

  it("federate one Update of the actor with the new icon to each follower's server", async () => {
    const before = (await storedUpdates()).length;
    const form = new FormData();
    form.append("avatar", new File([await makePng({ width: 2, height: 2 })], "new.png"));
    const me = await ok(patchForm(form));
    const [update] = await eventually(async () => {
      const got = await updatesWithIcon(SHARED, me.avatar);
      return got.length > 0 ? got : undefined;
    });
    expect(update).toMatchObject({
      type: "Update",
      actor: OWNER,
      object: { id: OWNER, icon: { type: "Image", mediaType: "image/png", url: me.avatar } },
    });
    await eventually(async () => (await updatesWithIcon(bea.inbox, me.avatar)).length === 1);
    expect(await storedUpdates()).toHaveLength(before + 1);
  });

  it("refuse what is not a picture (422), storing and changing nothing", async () => {
    const before = await verify();
    const files = (await db().select().from(media)).length;
    const refused = async (form: FormData) => {
      const res = await patchForm(form);
      expect(res.status, await res.clone().text()).toBe(422);
      return (await res.json()) as { error: string; details: Record<string, unknown> };
    };
    const text = new FormData();
    text.append("display_name", "Ada disguised");
    text.append(
      "avatar",
      new File(["<html>not a picture</html>"], "me.png", { type: "image/png" }),
    );
    const answer = await refused(text);
    expect(answer.error).toMatch(/^Validation failed: Avatar is invalid: /);
    expect(answer.details).toHaveProperty("avatar");

    const tooLarge = new FormData();
    tooLarge.append("header", new File([new Uint8Array(2 * 1024 * 1024 + 1)], "big.png"));
    expect((await refused(tooLarge)).error).toMatch(
      /^Validation failed: Header is invalid: .*2 MB/,
    );

    const json = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      body: { avatar: "https://elsewhere.test/me.png" },
    });
    expect(json.status).toBe(422);
    expect(await json.json()).toMatchObject({
      error: expect.stringMatching(/Avatar must be a file/),
    });

    expect(await verify()).toEqual(before);
    expect(await db().select().from(media)).toHaveLength(files);
  });

  it("are removed by DELETE /api/v1/profile/avatar and /header, and followers are told", async () => {
    const shown = await verify();
    expect(shown.avatar).not.toBe(MISSING_AVATAR);
    const withoutAvatar = await remove("avatar");
    expect(withoutAvatar).toMatchObject({
      avatar: MISSING_AVATAR,
      avatar_static: MISSING_AVATAR,
      header: shown.header,
    });
    expect((await getJson<Actor>(OWNER)).icon).toBeUndefined();
    await eventually(async () => (await updatesWithIcon(SHARED, undefined)).length > 0);

    expect(await remove("header")).toMatchObject({ header: MISSING_HEADER });
    expect((await getJson<Actor>(OWNER)).image).toBeUndefined();

    // Nothing left to remove: the same answer, and nothing sent.
    const before = (await storedUpdates()).length;
    expect(await remove("avatar")).toMatchObject({ avatar: MISSING_AVATAR });
    expect(await storedUpdates()).toHaveLength(before);
  });

  it("fall back to the configured pictures once removed", async () => {
    const vars = {
      OWNER_AVATAR_URL: "https://cdn.example/me.webp",
      OWNER_HEADER_URL: "https://cdn.example/banner.jpg",
    };
    const res = await fetchWithVars(vars, `${ORIGIN}/api/v1/accounts/verify_credentials`, {
      headers: { Authorization: `Bearer ${OWNER_TOKEN}` },
    });
    expect(await res.json()).toMatchObject({
      avatar: vars.OWNER_AVATAR_URL,
      header: vars.OWNER_HEADER_URL,
    });
    // The actor as built (its document a GET answers may be the data centre's cached copy).
    const config = testConfig();
    const actor = toActor(
      { ...config, owner: { ...config.owner, avatarUrl: vars.OWNER_AVATAR_URL } },
      { publicKeyPem: "", createdAt: new Date() },
      await readProfile(db(), config.owner),
    );
    expect(actor.icon).toEqual({
      type: "Image",
      mediaType: "image/webp",
      url: vars.OWNER_AVATAR_URL,
    });
  });

  it("need the write:accounts scope to be removed", async () => {
    const res = await api("/v1/profile/avatar", { method: "DELETE", token: null });
    expect(res.status).toBe(401);
  });
});
