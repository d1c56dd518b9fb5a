/**
 * The owner's uploads, shaped like Mastodon's `/api/v1/media` and `/api/v2/media`: a file
 * posted as a multipart form (read as it streams, `media-form.ts`), checked and stripped by
 * `media/process.ts`, stored in the bucket; then its alt text and focus until a post takes
 * it. Processing is synchronous, so v2 answers 200 (never Mastodon's 202 "still working").
 * Every route needs `write:media` (or `write`), reading one too, as on Mastodon.
 */
import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../env";
import { parseMastodonId } from "../../mastodon/ids";
import { mediaView, serializeAttachment } from "../../mastodon/media";
import { maxUploadBytes, processBytes } from "../../media/process";
import { saveMedia } from "../../media/store";
import { MAX_DESCRIPTION_LENGTH } from "../../media/types";
import { describeMedia, type MediaDescription, mediaByApiId } from "../../storage/media";
import type { MediaRow } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { readInput } from "./input";
import { MAX_FORM_OVERHEAD, readUploadForm } from "./media-form";

const mediaScopes = requireOwner({ read: "write:media", write: "write:media" });

/** What a client may say of a file: its alt text, and its focal point as "x,y". */
const Description = v.object({
  description: v.optional(
    v.nullable(
      v.pipe(
        v.string("must be a string"),
        v.check(
          (s) => [...s].length <= MAX_DESCRIPTION_LENGTH,
          `is too long (maximum is ${MAX_DESCRIPTION_LENGTH} characters)`,
        ),
      ),
    ),
  ),
  focus: v.optional(v.nullable(v.string("must be two numbers, as x,y"))),
});

/** A focal point: "x,y", each a number from -1 to 1 (Mastodon's focal point space). */
export function parseFocus(text: string): readonly [number, number] | undefined {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length !== 2 || parts.some((p) => !/^[-+]?(\d+\.?\d*|\.\d+)$/.test(p))) {
    return undefined;
  }
  const [x, y] = parts.map(Number);
  if (x === undefined || y === undefined || Math.abs(x) > 1 || Math.abs(y) > 1) return undefined;
  return [x, y];
}

type Described = { ok: true; change: MediaDescription } | { ok: false; error: string };

/** The change a client's fields ask for; an empty description clears it. */
function describedBy(input: v.InferOutput<typeof Description>): Described {
  const { description, focus } = input;
  let point: readonly [number, number] | null | undefined = focus === "" ? null : undefined;
  if (focus !== undefined && focus !== null && focus !== "") {
    point = parseFocus(focus);
    if (point === undefined) {
      return {
        ok: false,
        error: "Validation failed: focus must be two numbers from -1 to 1, as x,y",
      };
    }
  }
  return {
    ok: true,
    change: {
      ...(description === undefined ? {} : { description: description?.trim() || null }),
      ...(focus === undefined ? {} : { focus: point ?? null }),
    },
  };
}

/** Checks the form's text fields as `Description` says. */
function fieldsOf(fields: ReadonlyMap<string, string>): Described {
  const parsed = v.safeParse(Description, Object.fromEntries(fields));
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = issue?.path?.map((p) => String(p.key)).join(".") ?? "";
    return { ok: false, error: `Validation failed: ${key} ${issue?.message ?? "is invalid"}` };
  }
  return describedBy(parsed.output);
}

/** Mastodon's answer to an upload without a file. */
const NO_FILE = "Validation failed: File can't be blank";

/** Takes an upload: reads the form, checks the fields, processes and stores the file. */
async function upload(c: Context<AppEnv>) {
  const most = maxUploadBytes("attachment");
  const tooLarge = `The file is larger than ${most / (1024 * 1024)} MB, the most this server takes`;
  if (Number(c.req.header("content-length")) > most + MAX_FORM_OVERHEAD) {
    await c.req.raw.body?.cancel();
    return jsonError(c, 413, tooLarge);
  }
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "multipart/form-data") {
    await c.req.raw.body?.cancel();
    return jsonError(c, 422, NO_FILE);
  }
  const read = await readUploadForm(c.req.raw, { maxFileBytes: most });
  if (!read.ok) return jsonError(c, read.status, read.status === 413 ? tooLarge : read.error);
  const { file, fields } = read.form;
  const described = fieldsOf(fields);
  if (!described.ok) return jsonError(c, 422, described.error);
  if (file === undefined || file.length === 0) return jsonError(c, 422, NO_FILE);
  const processed = await processBytes(file, "attachment");
  if (!processed.ok) return jsonError(c, processed.status, processed.reason);
  const { ctx } = c.var;
  const row = await saveMedia(ctx, processed.file, { purpose: "attachment", ...described.change });
  return c.json(serializeAttachment(mediaView(row, ctx.config.urls)));
}

/** The upload a route's `:id` names, while no post has taken it (as Mastodon finds it). */
async function unattached(c: Context<AppEnv>): Promise<MediaRow | undefined> {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return undefined;
  const row = await mediaByApiId(c.var.ctx.db, id);
  return row?.purpose === "attachment" && row.note === null ? row : undefined;
}

const notFound = (c: Context) => jsonError(c, 404, "Record not found");

export const media = new Hono<AppEnv>();

// Mounted at the API's root (two versions of one path): auth is on each route, so that it
// reaches no other router's.
media.post("/v1/media", mediaScopes, upload);
media.post("/v2/media", mediaScopes, upload);

media.get("/v1/media/:id", mediaScopes, async (c) => {
  const row = await unattached(c);
  if (row === undefined) return notFound(c);
  return c.json(serializeAttachment(mediaView(row, c.var.ctx.config.urls)));
});

/** Changes the alt text or the focus of an upload a post has not taken yet. */
media.put("/v1/media/:id", mediaScopes, async (c) => {
  const row = await unattached(c);
  if (row === undefined) return notFound(c);
  const input = await readInput(c, Description);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const described = describedBy(input.value);
  if (!described.ok) return jsonError(c, 422, described.error);
  const { ctx } = c.var;
  const updated = await describeMedia(ctx.db, row.seq, described.change);
  if (updated === undefined) return notFound(c);
  return c.json(serializeAttachment(mediaView(updated, ctx.config.urls)));
});
