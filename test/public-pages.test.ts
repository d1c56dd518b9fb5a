/**
 * The public face (issue 17): the profile page (pictures, name, bio, fields, counts, pins,
 * posts with their files, pages of older ones) and a post's page (its files, its content
 * warning folded, its replies anyone may see, its link preview's card), all escaped where
 * they show what others wrote, under the strict CSP. Hashtag pages and the Follow form:
 * `public-pages-tags.test.ts`, `public-pages-follow.test.ts`.
 */
import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { purgePublic } from "../src/cache/public-documents";
import { blocks, type NoteAttachment, notes } from "../src/storage/schema";
import { api, BROWSER, db, get, ORIGIN, OWNER, OWNER_TOKEN, seedNote, testConfig } from "./helpers";
import { makePng } from "./support/png";
import { RemoteActor } from "./support/remote";

/** 29 characters: Mastodon's display names hold 30. */
const HOSTILE_NAME = `<script>alert("n")</script>&A`;
const ESCAPED_NAME = "&lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt;&amp;A";

/** Gives a seeded note files (and other columns), purging its pages as an edit does. */
async function alter(id: string, columns: { attachments?: NoteAttachment[]; sensitive?: boolean }) {
  await db().update(notes).set(columns).where(eq(notes.id, id));
  await purgePublic(testConfig().urls, [{ kind: "note", id }]);
}

const media = (name: string) => `${ORIGIN}/media/attachments/${name}`;
const PICTURE: NoteAttachment = {
  type: "Document",
  mediaType: "image/png",
  url: media("red.png"),
  name: `A "red" square <b>`,
  width: 4,
  height: 3,
};
const CLIP: NoteAttachment = { type: "Document", mediaType: "video/mp4", url: media("c.mp4") };
const SONG: NoteAttachment = { type: "Document", mediaType: "audio/mpeg", url: media("s.mp3") };
const REMOTE: NoteAttachment = {
  type: "Image",
  mediaType: "image/jpeg",
  url: "https://elsewhere.test/x.jpg",
  name: "far away",
};

async function page(path: string): Promise<{ res: Response; html: string }> {
  const res = await get(path, BROWSER);
  return { res, html: await res.text() };
}

/** The content of a `<meta property=…>` (or `name=…`), as written in the page. */
function metaOf(html: string, key: string): string | undefined {
  return new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)">`).exec(html)?.[1];
}

/** The posts' section of the profile page: its article links (each post's own URL). */
function postLinks(html: string): string[] {
  const posts = html.slice(html.indexOf('<section class="posts">'));
  return [...posts.matchAll(/<p class="meta"><a href="([^"]+)"><time/g)].map((m) => m[1] ?? "");
}

const profile = await (async () => {
  const form = new FormData();
  form.append("display_name", HOSTILE_NAME);
  form.append("note", "Counting engines.\n\n<b>not bold</b>");
  form.append("fields_attributes[0][name]", "Site");
  form.append("fields_attributes[0][value]", "https://ada.example/");
  form.append("fields_attributes[1][name]", "Pronouns");
  form.append("fields_attributes[1][value]", "she/<her>");
  form.append("avatar", new File([await makePng({ width: 4, height: 4 })], "me.png"));
  form.append("header", new File([await makePng({ width: 8, height: 2 })], "top.png"));
  const res = await exports.default.fetch(`${ORIGIN}/api/v1/accounts/update_credentials`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${OWNER_TOKEN}` },
    body: form,
  });
  if (res.status !== 200) throw new Error(`update_credentials: ${res.status} ${await res.text()}`);
  return (await res.json()) as { avatar: string; header: string; statuses_count: number };
})();

describe("the profile page", () => {
  it("shows the pictures, the name and bio escaped, the fields, the counts and Follow", async () => {
    const { res, html } = await page("/@owner");
    expect(res.status).toBe(200);
    expect(html).toContain(`<img class="header" src="${profile.header}" alt=""/>`);
    expect(html).toContain(`<img class="avatar" src="${profile.avatar}" alt=""/>`);
    expect(html).toContain(`<h1>${ESCAPED_NAME}</h1>`);
    expect(html).not.toMatch(/<script|<b>not bold/);
    expect(html).toContain("<p>Counting engines.</p><p>&lt;b&gt;not bold&lt;/b&gt;</p>");
    expect(html).toContain(
      '<dt>Site</dt><dd><a href="https://ada.example/" rel="me nofollow noopener" target="_blank">ada.example</a></dd>',
    );
    expect(html).toContain("<dt>Pronouns</dt><dd>she/&lt;her&gt;</dd>");
    // No page links back here (test/profile-verification.test.ts verifies some): none is marked.
    expect(html).not.toContain('class="verified"');
    expect(html).toMatch(/<p class="meta counts">\d+ posts · 0 following · 0 followers<\/p>/);
    expect(html).toContain('<a class="button" href="/follow" rel="nofollow">Follow</a>');
    expect(metaOf(html, "og:type")).toBe("profile");
    expect(metaOf(html, "og:image")).toBe(profile.avatar);
    expect(metaOf(html, "og:title")).toBe(`${ESCAPED_NAME} (@owner@outpost.test)`);
  });

  it("lists pins, then public and unlisted posts with their files; never the others", async () => {
    const pinned = await seedNote({ content: "<p>pinned post</p>", pinned: true });
    const withFiles = await seedNote({ content: "<p>post with files</p>" });
    await alter(withFiles.id, { attachments: [PICTURE, CLIP, SONG, REMOTE] });
    await seedNote({ content: "<p>quietly unlisted</p>", visibility: "unlisted" });
    await seedNote({ content: "<p>for followers only</p>", visibility: "private" });
    await seedNote({ content: "<p>a direct word</p>", visibility: "direct" });
    await seedNote({ content: "<p>said and unsaid</p>", deleted: true });
    const { html } = await page("/@owner");
    const pins = html.slice(html.indexOf('<section class="pinned">'), html.indexOf("</section>"));
    expect(pins).toContain("<h2>Pinned</h2>");
    expect(pins).toContain("Pinned · ");
    expect(pins).toContain("<p>pinned post</p>");
    expect(postLinks(html)).toContain(`${ORIGIN}/@owner/${pinned.slug}`);
    expect(html).toContain("quietly unlisted");
    for (const hidden of ["for followers only", "a direct word", "said and unsaid"]) {
      expect(html).not.toContain(hidden);
    }
    expect(html).toContain(
      `<a href="${PICTURE.url}"><img src="${PICTURE.url}" alt="A &quot;red&quot; square &lt;b&gt;" width="4" height="3" decoding="async"/></a>`,
    );
    expect(html).toContain(`<video src="${CLIP.url}" controls="" preload="metadata">`);
    expect(html).toContain(`<audio src="${SONG.url}" controls="" preload="none">`);
    // Another server's file is linked, never loaded by the visitor's browser.
    expect(html).toContain(
      `<a href="${REMOTE.url}" rel="nofollow noopener noreferrer">Image: far away</a>`,
    );
    expect(html).not.toContain(`src="${REMOTE.url}"`);
  });

  it("pages older posts by max_id, 20 a page, every post once, and back to the newest", async () => {
    for (let i = 0; i < 45; i++) await seedNote({ content: `<p>filler ${i}</p>` });
    const listed = await db().select().from(notes).where(eq(notes.attributedTo, OWNER));
    const expected = listed
      .filter((n) => n.deletedAt === null && ["public", "unlisted"].includes(n.visibility))
      .map((n) => n.url);
    const seen: string[] = [];
    let path = "/@owner";
    for (let pages = 0; pages < 10; pages++) {
      const { res, html } = await page(path);
      expect(res.status).toBe(200);
      const links = postLinks(html);
      expect(links.length).toBeLessThanOrEqual(20);
      seen.push(...links);
      if (pages > 0) {
        expect(html).toContain(`<a href="${ORIGIN}/@owner">Newest posts</a>`);
        expect(html).not.toContain('<section class="pinned">');
      }
      const older = /<a href="([^"]+)" rel="next">Older posts<\/a>/.exec(html)?.[1];
      if (older === undefined) break;
      expect(older).toMatch(new RegExp(`^${ORIGIN}/@owner\\?max_id=\\d+$`));
      path = older;
    }
    expect(seen).toHaveLength(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected));
  });

  it("answers a broken page link 400 with a JSON error, as every refusal of ours", async () => {
    for (const cursor of ["abc", "1".repeat(25), ""]) {
      const { res, html } = await page(`/@owner?max_id=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(JSON.parse(html)).toEqual({ error: "max_id must be a post's id (digits)" });
    }
  });
});

describe("a post's page", () => {
  it("folds a content warning over the post and its files, with a preview card of it", async () => {
    const note = await seedNote({ content: "<p>the spoiler</p>", summary: `CW "quoted" <i>` });
    await alter(note.id, { attachments: [PICTURE] });
    const { res, html } = await page(`/@owner/${note.slug}`);
    expect(res.status).toBe(200);
    expect(html).toContain(
      `<details><summary>CW &quot;quoted&quot; &lt;i&gt;</summary><p>the spoiler</p><div class="media"><a href="${PICTURE.url}"><img`,
    );
    expect(metaOf(html, "og:description")).toBe(
      "Content warning: CW &quot;quoted&quot; &lt;i&gt; · Attached: 1 image",
    );
    // Nothing behind the warning is in the card: the avatar stands for the picture.
    expect(metaOf(html, "og:image")).toBe(profile.avatar);
    expect(metaOf(html, "twitter:card")).toBe("summary");
  });

  it("has OpenGraph and Twitter meta: title, plain text cut, url, type, picture, time", async () => {
    const long = "word ".repeat(80);
    const note = await seedNote({
      content: `<p>"Quotes" &amp; <a href="https://x.test/">links</a></p><p>${long}</p>`,
    });
    await alter(note.id, { attachments: [PICTURE, CLIP] });
    const { html } = await page(note.id);
    const description = metaOf(html, "og:description") ?? "";
    expect(description.startsWith("&quot;Quotes&quot; &amp; links word word")).toBe(true);
    expect(description.endsWith("…")).toBe(true);
    expect(description.length).toBeLessThan(260);
    expect(metaOf(html, "og:title")).toBe(`${ESCAPED_NAME} (@owner@outpost.test)`);
    expect(metaOf(html, "og:url")).toBe(`${ORIGIN}/@owner/${note.slug}`);
    expect(metaOf(html, "og:type")).toBe("article");
    expect(metaOf(html, "og:image")).toBe(PICTURE.url);
    expect(metaOf(html, "og:image:alt")).toBe("A &quot;red&quot; square &lt;b&gt;");
    expect(metaOf(html, "twitter:card")).toBe("summary_large_image");
    expect(metaOf(html, "article:published_time")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(html).not.toContain("<script");
  });

  it("folds files marked sensitive without a content warning", async () => {
    const note = await seedNote({ content: "<p>look</p>" });
    await alter(note.id, { attachments: [PICTURE], sensitive: true });
    const { html } = await page(`/@owner/${note.slug}`);
    expect(html).toContain(
      '<p>look</p><details><summary>Sensitive media</summary><div class="media">',
    );
  });

  it("lists the replies anyone may see, oldest first, their authors escaped", async () => {
    const note = await seedNote({ content: "<p>what do you think?</p>" });
    const hostile = await RemoteActor.create({
      host: "replies-a.test",
      username: "mallory",
      name: `<img src=x onerror=alert(1)>Mallory`,
    });
    const blocked = await RemoteActor.create({ host: "replies-b.test", username: "troll" });
    const reply = (from: RemoteActor, content: string, extra: Record<string, unknown> = {}) =>
      from.send(from.activity("Create", from.note(content, { inReplyTo: note.id, ...extra })));
    expect((await reply(hostile, `<p>first <script>alert(2)</script>reply</p>`)).status).toBe(202);
    expect((await reply(blocked, "<p>troll reply</p>")).status).toBe(202);
    expect(
      (await reply(hostile, "<p>for followers</p>", { to: [`${hostile.id}/followers`], cc: [] }))
        .status,
    ).toBe(202);
    const own = await seedNote({ content: "<p>the owner answers</p>", inReplyTo: note.id });
    await db()
      .insert(blocks)
      .values({ actor: blocked.id, activityId: `${OWNER}#b/1`, createdAt: new Date() });

    const { html } = await page(`/@owner/${note.slug}`);
    const replies = html.slice(html.indexOf('<section class="replies">'));
    expect(replies).toContain("<h2>Replies</h2>");
    expect(replies).toContain("&lt;img src=x onerror=alert(1)&gt;Mallory");
    expect(replies).toContain('<span class="handle">@mallory@replies-a.test</span>');
    expect(replies).toContain("<p>first reply</p>");
    expect(html).not.toMatch(/<script|<img src=x|alert\(2\)/);
    // Oldest first: the owner's reply is dated by the helpers' clock, months before the others.
    expect(replies.indexOf("the owner answers")).toBeLessThan(replies.indexOf("first reply"));
    expect(replies).toContain(`${ORIGIN}/@owner/${own.slug}`);
    for (const hidden of ["troll reply", "for followers"]) expect(replies).not.toContain(hidden);
  });

  it("shows 40 replies at most, and says there are more", async () => {
    const note = await seedNote({ content: "<p>popular</p>" });
    const at = Date.parse("2026-06-01T00:00:00Z");
    const rows = Array.from({ length: 41 }, (_, i) =>
      db()
        .insert(notes)
        .values({
          id: `https://crowd.test/notes/${note.slug}-${i}`,
          attributedTo: "https://crowd.test/users/someone",
          inReplyTo: note.id,
          content: `<p>reply number ${i}.</p>`,
          visibility: "public",
          published: new Date(at + i * 1000),
        }),
    );
    const [first, ...rest] = rows;
    if (first !== undefined) await db().batch([first, ...rest]);
    const { html } = await page(note.id);
    expect(html.match(/reply number \d+\./g)).toHaveLength(40);
    expect(html).toContain("reply number 39.");
    expect(html).not.toContain("reply number 40.");
    expect(html).toContain("More replies are not shown here");
  });

  it("answers a deleted post 410 with its Tombstone and a hidden one 404 with a JSON error", async () => {
    const deleted = await seedNote({ deleted: true });
    const hidden = await seedNote({ visibility: "private" });
    const gone = await page(`/@owner/${deleted.slug}`);
    expect(gone.res.status).toBe(410);
    expect(JSON.parse(gone.html)).toMatchObject({ type: "Tombstone", id: deleted.id });
    const missing = await page(hidden.id);
    expect(missing.res.status).toBe(404);
    expect(JSON.parse(missing.html)).toEqual({ error: "no such object" });
  });
});

describe("the pages' security and freshness", () => {
  it("send a strict CSP: no script, no form (the Follow form is on its own page), media from us", async () => {
    const note = await seedNote();
    for (const path of ["/@owner", OWNER, note.id, `/@owner/${note.slug}`, "/@owner?max_id=1"]) {
      const res = await get(path, BROWSER);
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'none'");
      expect(csp).toContain("media-src 'self'");
      expect(csp).not.toMatch(/script-src|unsafe-inline/);
    }
  });

  it("show a new post and a profile edit at once, past the public cache", async () => {
    await page("/@owner");
    const posted = await api("/v1/statuses", { body: { status: "fresh on the profile" } });
    expect(posted.status).toBe(200);
    expect((await page("/@owner")).html).toContain("fresh on the profile");
    const edited = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      body: { display_name: "Ada renamed" },
    });
    expect(edited.status).toBe(200);
    expect((await page("/@owner")).html).toContain("<h1>Ada renamed</h1>");
  });
});
