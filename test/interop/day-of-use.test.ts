/**
 * A day of use (issue 15's acceptance test): an app signed in with masto.js finds a Fedify
 * peer's account, follows it, reads its posts and a thread whose root only the peer has,
 * bookmarks and likes, searches, approves a follow request once the account is locked,
 * sorts the peer into a list, filters, and finally blocks the peer, whose next activities are
 * accepted and dropped. Each step checks what the feature does, over real HTTP.
 */
import { createOAuthAPIClient, createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizeUrl, Browser, consent, pkce, randomState } from "./consent";
import { eventually, ownerId, sleep } from "./outpost";
import { Peer } from "./peer";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { origin, password } = instance;

const APP_CALLBACK = "com.example.dayofuse://callback";
const SCOPES = "read write follow";

/** Signs in as an app does (register, consent, code with PKCE) and returns its client. */
async function signIn(): Promise<mastodon.rest.Client> {
  const rest = createRestAPIClient({ url: origin });
  const app = await rest.v1.apps.create({
    clientName: "a day of use",
    redirectUris: APP_CALLBACK,
    scopes: SCOPES,
  });
  const clientId = app.clientId as string;
  const clientSecret = app.clientSecret as string;
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(origin, {
    clientId,
    redirectUri: APP_CALLBACK,
    scope: SCOPES,
    state: randomState(),
    codeChallenge: challenge,
  });
  const { code } = await consent(new Browser(), url, password);
  // masto.js sends what it is given, snake_cased: the verifier rides along.
  const params = {
    grantType: "authorization_code",
    clientId,
    clientSecret,
    redirectUri: APP_CALLBACK,
    code,
    scope: SCOPES,
    codeVerifier: verifier,
  } as const;
  const token = await createOAuthAPIClient({ url: origin }).token.create(params);
  return createRestAPIClient({ url: origin, accessToken: token.accessToken });
}

const uris = (statuses: readonly mastodon.v1.Status[]) => statuses.map((s) => s.uri);

describe("a day of use, through masto.js", () => {
  let peer: Peer;
  let masto: mastodon.rest.Client;
  /** Bea's notes published before the owner first looks at her: only in her outbox. */
  let earlier: { bread: string; quokka: string };
  let bea: mastodon.v1.Account;
  let listId: string;
  let ownerNote: mastodon.v1.Status;

  beforeAll(async () => {
    peer = await Peer.start({ actors: [{ username: "bea", displayName: "Bea" }] });
    earlier = {
      bread: await peer.post("bea", { content: "<p>Baked bread this morning</p>", to: [] }),
      quokka: await peer.post("bea", {
        content: "<p>Saw a quokka smiling at the ferry</p>",
        to: [],
      }),
    };
    masto = await signIn();
  });
  afterAll(() => peer.close());

  const beaStatuses = () => masto.v1.accounts.$select(bea.id).statuses.list({ limit: 40 });
  const listTimeline = () => masto.v1.timelines.list.$select(listId).list({ limit: 40 });

  it("1. finds the peer's account by handle (search with resolve), unknown until then", async () => {
    const found = await masto.v2.search.list({
      q: `@${peer.handle("bea")}`,
      resolve: true,
      type: "accounts",
    });
    expect(found.accounts.map((a) => a.acct)).toEqual([peer.handle("bea")]);
  });

  it("1. looks the account up, follows it and sees the follow accepted", async () => {
    bea = await masto.v1.accounts.lookup({ acct: peer.handle("bea") });
    expect(bea.acct).toBe(peer.handle("bea"));
    expect(bea.displayName).toBe("Bea");
    const asked = await masto.v1.accounts.$select(bea.id).follow();
    expect(asked.id).toBe(bea.id);
    const [relationship] = await eventually(
      async () => {
        const rels = await masto.v1.accounts.relationships.fetch({ id: [bea.id] });
        return rels[0]?.following === true && rels;
      },
      { what: "the follow to be accepted" },
    );
    expect(relationship?.requested).toBe(false);
    expect(peer.followersOf("bea")).toEqual([ownerId]);
    expect(peer.inbox("Follow")[0]?.json.actor).toBe(ownerId);
  });

  it("2. reads the peer's earlier posts on its profile, once the queued refresh ran", async () => {
    const statuses = await eventually(
      async () => {
        const page = await beaStatuses();
        return uris(page).includes(earlier.quokka) && uris(page).includes(earlier.bread) && page;
      },
      { what: "the outbox's posts on the profile" },
    );
    const quokka = statuses.find((s) => s.uri === earlier.quokka);
    expect(quokka?.account.id).toBe(bea.id);
    expect(quokka?.content).toContain("quokka smiling");
    // Newest first.
    expect(uris(statuses).indexOf(earlier.quokka)).toBeLessThan(
      uris(statuses).indexOf(earlier.bread),
    );
  });

  it("3. opens a thread whose root only the peer has: the ancestors arrive through the queue", async () => {
    // Root and middle are published on the peer only; the last reply is delivered.
    const root = await peer.post("bea", { content: "<p>Thread: a root</p>", to: [] });
    const middle = await peer.post("bea", {
      content: "<p>Thread: a middle</p>",
      to: [],
      inReplyTo: root,
    });
    const leaf = await peer.post("bea", {
      content: "<p>Thread: a leaf</p>",
      to: [ownerId],
      inReplyTo: middle,
    });
    const status = await eventually(async () => (await beaStatuses()).find((s) => s.uri === leaf), {
      what: "the delivered reply",
    });
    const context = await eventually(
      async () => {
        const ctx = await masto.v1.statuses.$select(status.id).context.fetch();
        return ctx.ancestors.length === 2 && ctx;
      },
      { what: "the thread's ancestors" },
    );
    expect(uris(context.ancestors)).toEqual([root, middle]);
    expect(context.ancestors[1]?.inReplyToId).toBe(context.ancestors[0]?.id);
    // Its parent now stored, the reply answers it (it answered nothing while it was missing).
    const reply = await masto.v1.statuses.$select(status.id).fetch();
    expect(reply.inReplyToId).toBe(context.ancestors[1]?.id);
    expect(context.descendants).toEqual([]);
    // And from the root, the replies below it.
    const below = await masto.v1.statuses.$select(context.ancestors[0]?.id ?? "").context.fetch();
    expect(uris(below.descendants)).toEqual([middle, leaf]);
  });

  it("4. bookmarks and favourites a post; both lists show it; the peer receives the Like", async () => {
    const post = (await beaStatuses()).find((s) => s.uri === earlier.bread);
    if (post === undefined) throw new Error("bea's bread post is not shown");
    const bookmarked = await masto.v1.statuses.$select(post.id).bookmark();
    expect(bookmarked.bookmarked).toBe(true);
    const favourited = await masto.v1.statuses.$select(post.id).favourite();
    expect(favourited.favourited).toBe(true);
    expect(favourited.favouritesCount).toBe(1);

    const bookmarks = await masto.v1.bookmarks.list({ limit: 40 });
    expect(bookmarks.map((s) => s.id)).toEqual([post.id]);
    expect(bookmarks[0]?.bookmarked).toBe(true);
    const favourites = await masto.v1.favourites.list({ limit: 40 });
    expect(favourites.map((s) => s.id)).toEqual([post.id]);
    expect(favourites[0]?.favourited).toBe(true);

    const like = await eventually(
      () => peer.inbox("Like").find((r) => r.json.object === earlier.bread),
      { what: "the Like at the peer" },
    );
    expect(like.json.actor).toBe(ownerId);
  });

  it("5. finds a post by its words", async () => {
    const found = await masto.v2.search.list({ q: "quokka ferry", type: "statuses" });
    expect(uris(found.statuses)).toEqual([earlier.quokka]);
    expect(found.accounts).toEqual([]);
    const none = await masto.v2.search.list({ q: "quokka submarine", type: "statuses" });
    expect(none.statuses).toEqual([]);
  });

  it("6. locks the account; the peer's follow waits as a request; authorized, it gets the Accept", async () => {
    const me = await masto.v1.accounts.updateCredentials({ locked: true });
    expect(me.locked).toBe(true);
    expect((await masto.v1.accounts.verifyCredentials()).locked).toBe(true);

    const follow = await peer.follow("bea", ownerId);
    const requests = await eventually(
      async () => {
        const list = await masto.v1.followRequests.list();
        return list.length > 0 && list;
      },
      { what: "the follow request" },
    );
    expect(requests.map((a) => a.id)).toEqual([bea.id]);
    const acceptsOf = () =>
      peer.inbox("Accept").filter((r) => (r.json.object as { id?: string }).id === follow);
    await sleep(300);
    expect(acceptsOf()).toEqual([]);
    expect(peer.followingState("bea", ownerId)).toBe("requested");
    const [waiting] = await masto.v1.accounts.relationships.fetch({ id: [bea.id] });
    expect(waiting?.followedBy).toBe(false);
    expect(waiting?.requestedBy).toBe(true);

    const relationship = await masto.v1.followRequests.$select(bea.id).authorize();
    expect(relationship.followedBy).toBe(true);
    await eventually(() => peer.followingState("bea", ownerId) === "accepted", {
      what: "the Accept at the peer",
    });
    expect(acceptsOf()).toHaveLength(1);
    expect(acceptsOf()[0]?.json.actor).toBe(ownerId);
    expect(await masto.v1.followRequests.list()).toEqual([]);
  });

  it("7. puts the peer in a list; the list's timeline shows its posts, not the owner's", async () => {
    ownerNote = await masto.v1.statuses.create({
      status: "Lunch at my desk",
      visibility: "public",
    });
    const list = await masto.v1.lists.create({ title: "Bakers" });
    listId = list.id;
    expect(list.title).toBe("Bakers");
    expect((await masto.v1.lists.list()).map((l) => l.id)).toEqual([listId]);
    await masto.v1.lists.$select(listId).accounts.create({ accountIds: [bea.id] });
    const members = await masto.v1.lists.$select(listId).accounts.list();
    expect(members.map((a) => a.id)).toEqual([bea.id]);
    const inLists = await masto.v1.accounts.$select(bea.id).lists.list();
    expect(inLists.map((l) => l.id)).toEqual([listId]);

    const fresh = await peer.post("bea", { content: "<p>Rye loaves today</p>", to: [ownerId] });
    const timeline = await eventually(
      async () => {
        const page = await listTimeline();
        return uris(page).includes(fresh) && page;
      },
      { what: "the new post in the list" },
    );
    expect(timeline.every((s) => s.account.id === bea.id)).toBe(true);
    expect(uris(timeline)).not.toContain(ownerNote.uri);
  });

  let kale: string;
  let pineapple: string;

  it("8. filters: a hide filter drops a post from the list timeline, a warn filter marks one", async () => {
    kale = await peer.post("bea", { content: "<p>Kale in the dough, why not</p>", to: [ownerId] });
    pineapple = await peer.post("bea", {
      content: "<p>Pineapple on focaccia</p>",
      to: [ownerId],
    });
    // Both shown, unfiltered, before the filters exist.
    const before = await eventually(
      async () => {
        const page = await listTimeline();
        return uris(page).includes(kale) && uris(page).includes(pineapple) && page;
      },
      { what: "the two posts in the list" },
    );
    expect(before.find((s) => s.uri === pineapple)?.filtered ?? []).toEqual([]);

    const hide = await masto.v2.filters.create({
      title: "No kale",
      context: ["home"],
      filterAction: "hide",
      keywordsAttributes: [{ keyword: "kale", wholeWord: true }],
    });
    expect(hide.keywords.map((k) => k.keyword)).toEqual(["kale"]);
    const warn = await masto.v2.filters.create({
      title: "Pineapple?",
      context: ["home"],
      filterAction: "warn",
      keywordsAttributes: [{ keyword: "pineapple", wholeWord: true }],
    });
    expect((await masto.v2.filters.list()).map((f) => f.id).sort()).toEqual(
      [hide.id, warn.id].sort(),
    );

    const after = await listTimeline();
    expect(uris(after)).not.toContain(kale);
    const marked = after.find((s) => s.uri === pineapple);
    expect(marked?.filtered?.map((r) => r.filter.id)).toEqual([warn.id]);
    expect(marked?.filtered?.[0]?.filter.filterAction).toBe("warn");
    // As Mastodon: the words matched, as the post wrote them.
    expect(marked?.filtered?.[0]?.keywordMatches?.map((k) => k.toLowerCase())).toEqual([
      "pineapple",
    ]);
    // The rest of the list is untouched.
    expect(uris(after)).toContain(earlier.quokka);
  });

  it("8. the same filters apply to the home timeline", async () => {
    const home = await eventually(
      async () => {
        const page = await masto.v1.timelines.home.list({ limit: 40 });
        return uris(page).includes(pineapple) && page;
      },
      { what: "the peer's post on the home timeline" },
    );
    expect(uris(home)).not.toContain(kale);
    expect(home.find((s) => s.uri === pineapple)?.filtered?.[0]?.filter.title).toBe("Pineapple?");
  });

  it("9. blocks the peer: it receives Block; its next post and Like are accepted and dropped", async () => {
    // Before the block, a mention from the peer is a notification.
    const control = await peer.postTo(ownerId, "bea", {
      content: "<p>Lunch? @owner</p>",
      mention: [ownerId],
    });
    expect(control.status).toBe(202);
    const mentions = () => masto.v1.notifications.list({ types: ["mention"], limit: 40 });
    await eventually(async () => (await mentions()).some((n) => n.status?.uri === control.id), {
      what: "the control mention",
    });

    const relationship = await masto.v1.accounts.$select(bea.id).block();
    expect(relationship.blocking).toBe(true);
    expect(relationship.following).toBe(false);
    expect(relationship.followedBy).toBe(false);
    expect((await masto.v1.blocks.list()).map((a) => a.id)).toEqual([bea.id]);
    const block = await eventually(() => peer.inbox("Block")[0], { what: "the Block at the peer" });
    expect(block.json.actor).toBe(ownerId);
    expect(block.json.object).toBe(peer.actorId("bea"));
    await eventually(() => peer.followingState("bea", ownerId) === "rejected", {
      what: "the Reject of the peer's follow",
    });
    await eventually(() => peer.followersOf("bea").length === 0, {
      what: "the Undo of the owner's follow",
    });

    const post = await peer.postTo(ownerId, "bea", {
      content: "<p>Zeppelin sighting @owner</p>",
      mention: [ownerId],
    });
    const like = await peer.likeTo(ownerId, "bea", ownerNote.uri);
    expect([post.status, like.status]).toEqual([202, 202]);
    // An inbox stores what it accepts before it answers; a little more for the queue.
    await sleep(1_000);

    expect((await mentions()).map((n) => n.status?.uri)).not.toContain(post.id);
    const favourites = await masto.v1.notifications.list({ types: ["favourite"], limit: 40 });
    expect(favourites).toEqual([]);
    const note = await masto.v1.statuses.$select(ownerNote.id).fetch();
    expect(note.favouritesCount).toBe(0);
    expect(await masto.v1.statuses.$select(ownerNote.id).favouritedBy.list()).toEqual([]);
    const search = await masto.v2.search.list({ q: "zeppelin", type: "statuses" });
    expect(search.statuses).toEqual([]);
    const home = await masto.v1.timelines.home.list({ limit: 40 });
    expect(uris(home)).not.toContain(post.id);
    expect(uris(await listTimeline())).not.toContain(post.id);
  });
});
