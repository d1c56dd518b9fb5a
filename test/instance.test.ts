/**
 * The instance documents, field by field, against what the apps that sign in to Outpost decode.
 * A comment names the clients that need each field (read in their sources): Ice Cubes
 * (`Instance.swift`, Swift `Codable`: a missing or mistyped non-optional field fails the whole
 * decode, and with it the sign-in), Tusky (`Instance.kt`, Moshi: likewise), Elk, Phanpy and
 * masto.js (JavaScript: a missing object read without `?.` throws), megalodon (v1's types).
 */
import { describe, expect, it } from "vitest";
import { MAX_STATUS_LENGTH } from "../src/http/api/statuses";
import { actors } from "../src/storage/schema";
import { SOFTWARE } from "../src/version";
import { api, db, fetchWithVars, ORIGIN, seedNote, testConfig } from "./helpers";

type Json = Record<string, unknown>;
const config = testConfig();
const HOST = new URL(ORIGIN).host;
const VERSION = `4.3.0 (compatible; Outpost ${SOFTWARE.version})`;

/** A public GET (no token), as an app makes it before signing in. */
async function document(path: string): Promise<Json> {
  const res = await api(path, { token: null });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await res.json()) as Json;
}

async function storeActor(id: string): Promise<void> {
  const url = new URL(id);
  await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: url.pathname.split("/").pop() ?? "someone",
      domain: url.host,
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
    })
    .onConflictDoNothing();
}

/** Mastodon 4.3's limits, the same in both documents (v1 without `max_pinned_statuses`). */
const STATUSES = {
  // Elk, Phanpy: the composer's counter. Ice Cubes: `maxCharacters`, `maxMediaAttachments`
  // are non-optional Ints once `configuration` is there.
  max_characters: MAX_STATUS_LENGTH,
  max_media_attachments: 4,
  // Tusky, Elk: how long a URL counts.
  characters_reserved_per_url: 23,
};
const MEDIA = {
  // Elk reads `supported_mime_types` unguarded for its file picker; Elk and Tusky check sizes
  // and pixel counts before uploading.
  supported_mime_types: [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/avif",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
  ],
  image_size_limit: 16 * 1024 * 1024,
  image_matrix_limit: 33_177_600,
  video_size_limit: 99 * 1024 * 1024,
  video_frame_rate_limit: 120,
  video_matrix_limit: 8_294_400,
  // The longest alt text an upload or an edit may carry (refused above it).
  description_limit: 1500,
};
// Ice Cubes: all four non-optional Ints. Elk: `max_options`, `max_characters_per_option`.
const POLLS = {
  max_options: 4,
  max_characters_per_option: 50,
  min_expiration: 300,
  max_expiration: 2_629_746,
};

describe("GET /api/v2/instance", () => {
  it("is public, and ignores a token it cannot use", async () => {
    expect((await api("/v2/instance", { token: null })).status).toBe(200);
    expect((await api("/v2/instance", { token: "not-a-token" })).status).toBe(200);
  });

  it("describes the server as Mastodon 4.3 does", async () => {
    const doc = await document("/v2/instance");
    // Ice Cubes, Tusky: `domain` and `version` are non-optional Strings. Ice Cubes reads the
    // version's first three characters as a number (4.3: grouped notifications, notification
    // filters); Phanpy takes its leading semver; Tusky shows it.
    expect(doc.domain).toBe(HOST);
    expect(doc.version).toBe(VERSION);
    expect(Number.parseFloat(String(doc.version).slice(0, 3))).toBeGreaterThanOrEqual(4.3);
    // Ice Cubes (non-optional String), Elk (the sign-in page): the owner's display name.
    expect(doc.title).toBe(config.owner.displayName);
    // masto.js's types: strings.
    expect(doc.source_url).toBe("");
    expect(doc.description).toBe(config.owner.summary);
    // Ice Cubes: optional; masto.js: `usage.users.activeMonth`.
    expect(doc.usage).toEqual({ users: { active_month: 1 } });
    // Ice Cubes: `thumbnail` is a non-optional object (its `url` optional); Elk shows `url`.
    expect(doc.thumbnail).toEqual({ url: expect.stringMatching(/^https:\/\//) });
    // 4.3's icons: a list (masto.js); Outpost has none.
    expect(doc.icon).toEqual([]);
    expect(doc.languages).toEqual(["en"]);
    // Phanpy: 2 or more switches its notifications to `/api/v2/notifications` (grouped);
    // Tusky and Ice Cubes decode an Int.
    expect(doc.api_versions).toEqual({ mastodon: 2 });
    // Ice Cubes, Tusky: `rules` of `{ id, text }`.
    expect(doc.rules).toEqual([]);
  });

  it("is closed to registrations, with the owner as the contact", async () => {
    const doc = await document("/v2/instance");
    // Ice Cubes: `registrations.enabled` is a non-optional Bool; Tusky: `enabled` and
    // `approval_required`.
    expect(doc.registrations).toEqual({
      enabled: false,
      approval_required: false,
      message: null,
      url: null,
    });
    // Ice Cubes: `contact` is non-optional and its `email` a non-optional String; Tusky:
    // `email` and `account`.
    const contact = doc.contact as { email: unknown; account: Json };
    expect(contact.email).toBe("");
    const owner = (await (await api("/v1/accounts/verify_credentials")).json()) as Json;
    expect(contact.account).toMatchObject({
      id: owner.id,
      username: config.owner.username,
      acct: config.owner.username,
      display_name: config.owner.displayName,
      url: config.urls.owner.profile,
      created_at: owner.created_at,
    });
  });

  it("gives the configuration clients size their composer and uploads by", async () => {
    const { configuration } = await document("/v2/instance");
    expect(configuration).toEqual({
      // Elk reads `urls.streaming` without a guard; Phanpy and masto.js connect to it.
      urls: { streaming: `wss://${HOST}`, status: null },
      // Elk and Phanpy take an empty key as none (push is then not offered).
      vapid: { public_key: "" },
      // Tusky: `max_featured_tags` is a non-optional Int when `accounts` is there.
      accounts: { max_featured_tags: 10, max_pinned_statuses: 5 },
      statuses: STATUSES,
      media_attachments: MEDIA,
      polls: POLLS,
      // Tusky: a non-optional Boolean; false hides the translate action.
      translation: { enabled: false },
    });
  });

  it("gives ws:// for the streaming API of a plain-http development origin", async () => {
    const origin = "http://localhost:8787";
    const res = await fetchWithVars({ PUBLIC_ORIGIN: origin }, `${origin}/api/v2/instance`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { domain: string; configuration: { urls: Json } };
    expect(doc.domain).toBe("localhost:8787");
    expect(doc.configuration.urls.streaming).toBe("ws://localhost:8787");
  });

  it("is titled with the username when no display name is set", async () => {
    const res = await fetchWithVars({ OWNER_DISPLAY_NAME: "" }, `${ORIGIN}/api/v2/instance`);
    expect(((await res.json()) as Json).title).toBe(config.owner.username);
  });

  it("may be kept for three minutes, as Mastodon's", async () => {
    const res = await api("/v2/instance", { token: null });
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=180");
  });
});

describe("GET /api/v1/instance", () => {
  it("describes the server in v1's shape", async () => {
    const doc = await document("/v1/instance");
    expect(doc).toMatchObject({
      // megalodon, Tusky (v1 fallback): `uri`, the host.
      uri: HOST,
      // Ice Cubes (its v1 model): `title`, `email`, `version` non-optional Strings.
      title: config.owner.displayName,
      short_description: config.owner.summary,
      description: config.owner.summary,
      email: "",
      version: VERSION,
      // Phanpy, Elk (when v2 is missing): the streaming URL.
      urls: { streaming_api: `wss://${HOST}` },
      // v1's thumbnail is a URL string (Ice Cubes' v1 model: `URL?`).
      thumbnail: expect.stringMatching(/^https:\/\//),
      languages: ["en"],
      // Ice Cubes (v1 model): `registrations` must be a Bool, not v2's object.
      registrations: false,
      approval_required: false,
      invites_enabled: false,
      configuration: {
        accounts: { max_featured_tags: 10 },
        statuses: STATUSES,
        media_attachments: MEDIA,
        polls: POLLS,
      },
      rules: [],
    });
    // megalodon: `contact_account`, the owner.
    expect(doc.contact_account).toMatchObject({ username: config.owner.username });
    expect(doc).not.toHaveProperty("api_versions");
  });

  it("counts one user, the owner's statuses and the hosts it knows", async () => {
    // Ice Cubes (v1 model): `stats` and its three Ints are non-optional.
    type Stats = { user_count: number; status_count: number; domain_count: number };
    const stats = async () => (await document("/v1/instance")).stats as Stats;
    const before = await stats();
    expect(before.user_count).toBe(1);
    expect(Number.isInteger(before.status_count)).toBe(true);
    expect(Number.isInteger(before.domain_count)).toBe(true);

    await seedNote();
    await seedNote({ visibility: "private" });
    await seedNote({ deleted: true });
    await storeActor("https://stats-one.test/users/a");
    await storeActor("https://stats-one.test/users/b");
    await storeActor("https://stats-two.test:8443/users/c");

    expect(await stats()).toEqual({
      user_count: 1,
      status_count: before.status_count + 2,
      domain_count: before.domain_count + 2,
    });
  });
});

describe("what apps load at sign-in", () => {
  it("lists the hosts of the accounts Outpost knows, once each, in order", async () => {
    await storeActor("https://peer-b.test/users/x");
    await storeActor("https://peer-a.test/users/y");
    await storeActor("https://peer-a.test/users/z");
    // Ice Cubes decodes `[String]`.
    const res = await api("/v1/instance/peers", { token: null });
    expect(res.status).toBe(200);
    const peers = (await res.json()) as string[];
    expect(peers).toEqual(expect.arrayContaining(["peer-a.test", "peer-b.test"]));
    expect(peers.filter((p) => p === "peer-a.test")).toHaveLength(1);
    expect(peers).toEqual([...peers].sort());
    expect(peers).not.toContain(HOST);
  });

  it.each([
    // Mastodon's weekly activity: Outpost keeps no sign-ins and has no registrations.
    "/v1/instance/activity",
    // No server rules on a single-user instance.
    "/v1/instance/rules",
    // No custom emoji of its own (Tusky and Ice Cubes load them for the picker).
    "/v1/custom_emojis",
  ])("answers %s with an empty list, publicly", async (path) => {
    const res = await api(path, { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });
});

describe("NodeInfo, as client libraries read it", () => {
  it.each(["2.0", "2.1"])(
    "%s names Outpost as the software, and Mastodon as the API it follows",
    async (version) => {
      const res = await api(`${ORIGIN}/nodeinfo/${version}`, { token: null });
      const doc = (await res.json()) as { software: Json; metadata: Json };
      expect(doc.software).toEqual({ name: "outpost", version: SOFTWARE.version });
      // megalodon's `detector` (10.3.0): an unknown `software.name` is Mastodon when
      // `metadata.upstream.name`, lower-cased, is "mastodon". The interop suite runs it.
      expect(doc.metadata.upstream).toEqual({ name: "Mastodon", version: "4.3.0" });
    },
  );
});
