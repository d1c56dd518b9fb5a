/**
 * Notes, their likes and shares collections, and activities by id. Only what anyone may see
 * is served (public and unlisted); followers-only and direct objects answer 404 until signed
 * fetches can prove who asks. A deleted note answers 410 with a Tombstone.
 */
import { type Context, Hono } from "hono";
import { withContext } from "../activitypub/context";
import { prefersActivityJson } from "../activitypub/negotiation";
import { toNoteDocument, toReactionCollection, toTombstone } from "../activitypub/note";
import type { AppEnv, Config } from "../env";
import { notePage } from "../pages/note";
import { findNote, withRelations } from "../storage/notes";
import { findOutboxActivity } from "../storage/outbox";
import { readNotePage } from "../storage/public-pages";
import type { NoteRow, Visibility } from "../storage/schema";
import { publicCache } from "./middleware/public-cache";
import { activityJson, jsonError } from "./responses";

export const objects = new Hono<AppEnv>();

/** What anyone may see comes from the Cache API when it holds it (`middleware/public-cache.ts`). */
const byAccept = publicCache({ negotiated: true });
const asJson = publicCache({ negotiated: false });

const isListed = (visibility: Visibility) => visibility === "public" || visibility === "unlisted";

type Lookup =
  | { readonly found: true; readonly note: NoteRow }
  | { readonly found: false; readonly status: 404 | 410; readonly note?: NoteRow };

/** Whether anyone may see a note read by its id: only the owner's live under their paths. */
function judgeNote(config: Config, note: NoteRow | undefined): Lookup {
  if (
    note === undefined ||
    note.attributedTo !== config.urls.owner.id ||
    !isListed(note.visibility)
  ) {
    return { found: false, status: 404 };
  }
  if (note.deletedAt !== null) return { found: false, status: 410, note };
  return { found: true, note };
}

/** Finds one of the owner's notes by its path, if anyone may see it. */
async function lookupNote(c: Context<AppEnv>, username: string, id: string): Promise<Lookup> {
  const { config, db } = c.var.ctx;
  if (username !== config.owner.username) return { found: false, status: 404 };
  return judgeNote(config, await findNote(db, config.urls.note(id)));
}

function notFound(c: Context<AppEnv>, lookup: Extract<Lookup, { found: false }>) {
  if (lookup.status === 410 && lookup.note !== undefined) {
    return activityJson(c, toTombstone(lookup.note), 410);
  }
  return jsonError(c, 404, "no such object");
}

objects.get("/users/:username/statuses/:id{[0-9]+}", byAccept, async (c) => {
  c.header("Vary", "Accept");
  if (!prefersActivityJson(c.req.header("Accept"))) {
    return renderNote(c, c.req.param("username"), c.req.param("id"));
  }
  const lookup = await lookupNote(c, c.req.param("username"), c.req.param("id"));
  if (!lookup.found) return notFound(c, lookup);
  const [withRel] = await withRelations(c.var.ctx.db, [lookup.note]);
  if (withRel === undefined) return jsonError(c, 404, "no such object");
  return activityJson(c, toNoteDocument(withRel.note, withRel.relations));
});

/**
 * How many liked or boosted a note: a collection with `totalItems` and no items, as
 * Mastodon serves it. Browsers are sent to the note's page.
 */
for (const which of ["likes", "shares"] as const) {
  objects.get(`/users/:username/statuses/:id{[0-9]+}/${which}`, byAccept, async (c) => {
    c.header("Vary", "Accept");
    const lookup = await lookupNote(c, c.req.param("username"), c.req.param("id"));
    if (!lookup.found) return notFound(c, lookup);
    if (!prefersActivityJson(c.req.header("Accept"))) {
      return c.redirect(lookup.note.url ?? lookup.note.id);
    }
    return activityJson(c, toReactionCollection(lookup.note, which));
  });
}

/** The note's HTML page (its `url`); servers asking it for JSON go to the note's id. */
objects.get("/:handle{@[^/]+}/:id{[0-9]+}", byAccept, async (c) => {
  c.header("Vary", "Accept");
  const username = c.req.param("handle").slice(1);
  if (!prefersActivityJson(c.req.header("Accept"))) {
    return renderNote(c, username, c.req.param("id"));
  }
  const lookup = await lookupNote(c, username, c.req.param("id"));
  if (!lookup.found) return notFound(c, lookup);
  return c.redirect(lookup.note.id);
});

/** The most replies a note's page shows, oldest first. */
const REPLIES_SHOWN = 40;

/**
 * A note's HTML page, under the owner's name as their profile gives it, with the replies
 * anyone may see: the note, the profile and the replies in one round trip.
 */
async function renderNote(c: Context<AppEnv>, username: string, slug: string) {
  const { config, db } = c.var.ctx;
  // Every 4xx of ours is a JSON `error` (a deleted note's 410 its Tombstone), pages too.
  if (username !== config.owner.username) return jsonError(c, 404, "no such object");
  const page = await readNotePage(db, {
    id: config.urls.note(slug),
    defaults: config.owner,
    replies: REPLIES_SHOWN,
    now: c.var.ctx.now(),
  });
  const lookup = judgeNote(config, page.note);
  if (!lookup.found) return notFound(c, lookup);
  return c.html(notePage({ config, ...page, note: lookup.note }));
}

/** The `Create` that published a note, at `<note>/activity` as on Mastodon. */
objects.get("/users/:username/statuses/:id{[0-9]+}/activity", asJson, async (c) => {
  const lookup = await lookupNote(c, c.req.param("username"), c.req.param("id"));
  if (!lookup.found) return notFound(c, lookup);
  return serveActivity(c, c.var.ctx.config.urls.noteActivity(c.req.param("id")));
});

objects.get("/activities/:id{[0-9]+}", asJson, (c) =>
  serveActivity(c, c.var.ctx.config.urls.activity(c.req.param("id"))),
);

async function serveActivity(c: Context<AppEnv>, id: string) {
  const row = await findOutboxActivity(c.var.ctx.db, id);
  if (row === undefined || !isListed(row.visibility)) return jsonError(c, 404, "no such activity");
  return activityJson(c, withContext(row.payload));
}
