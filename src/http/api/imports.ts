/**
 * The owner imports a following list: `POST /api/outpost/imports` takes Mastodon's
 * `following_accounts.csv` (its header row, or one account a line without one), as a
 * multipart form like Mastodon's import page (`type=following`, `mode=merge`, `data=<file>`;
 * its `form_import[...]` names too) or as a `text/csv` body (`type` and `mode` in the query).
 * The file is checked whole before anything is stored (413 past 1 MB, 422 naming the first
 * bad line), then answered 202 while the queue follows the accounts a batch at a time (409
 * while another import runs: one at a time); `GET /api/outpost/imports/:id` tells how far
 * it got. `write:follows` to import,
 * `read:follows` to look, as Mastodon's follow routes ask.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { startImport } from "../../federation/import-follows";
import { parseHandle } from "../../federation/resolve";
import { readCapped } from "../../lib/read-capped";
import { readFollowingCsv } from "../../mastodon/account-csv";
import { findImport, importFailures } from "../../storage/imports";
import type { AccountImportRow, ImportOutcome } from "../../storage/schema-imports";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";

/** The largest file taken (Mastodon takes 20 MB; a list of 20,000 accounts is under 1 MB). */
export const MAX_IMPORT_BYTES = 1024 * 1024;
/** What a form may add around its file (boundaries, part headers, the other fields). */
const FORM_OVERHEAD_BYTES = 16 * 1024;
/** Failed rows an import's answer lists (the counts hold them all). */
const FAILURES_SHOWN = 100;

type ImportInput =
  | { readonly ok: true; readonly text: string; readonly type: string; readonly mode: string }
  | { readonly ok: false; readonly status: 400 | 413 | 415 | 422; readonly error: string };

const tooLarge = {
  ok: false,
  status: 413,
  error: `the file is larger than ${MAX_IMPORT_BYTES / 1024} kB`,
} as const;

/** UTF-8 text, or undefined when the bytes are not. */
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The file, its type and mode, from a form or a CSV body. */
async function readImport(c: Context<AppEnv>): Promise<ImportInput> {
  const contentType = c.req.header("content-type") ?? "";
  const declared = contentType.split(";")[0]?.trim().toLowerCase();
  if (declared === "text/csv" || declared === "text/plain") {
    const bytes = await readCapped(c.req.raw, MAX_IMPORT_BYTES);
    if (bytes === undefined) return tooLarge;
    const text = utf8(bytes);
    if (text === undefined) return { ok: false, status: 422, error: "the file is not UTF-8 text" };
    const { type = "following", mode = "merge" } = c.req.query();
    return { ok: true, text, type, mode };
  }
  if (declared !== "multipart/form-data") {
    return { ok: false, status: 415, error: "send a multipart form or a text/csv body" };
  }
  const bytes = await readCapped(c.req.raw, MAX_IMPORT_BYTES + FORM_OVERHEAD_BYTES);
  if (bytes === undefined) return tooLarge;
  let form: FormData;
  try {
    form = await new Request(c.req.url, {
      method: "POST",
      headers: { "content-type": contentType },
      body: bytes,
    }).formData();
  } catch {
    return { ok: false, status: 400, error: "the body is not a valid form" };
  }
  const field = (name: string) => form.get(name) ?? form.get(`form_import[${name}]`);
  const data = field("data");
  if (data === null) return { ok: false, status: 422, error: "data (the file) is missing" };
  const file =
    typeof data === "string"
      ? new TextEncoder().encode(data)
      : new Uint8Array(await data.arrayBuffer());
  if (file.byteLength > MAX_IMPORT_BYTES) return tooLarge;
  const text = utf8(file);
  if (text === undefined) return { ok: false, status: 422, error: "the file is not UTF-8 text" };
  const type = field("type");
  const mode = field("mode");
  return {
    ok: true,
    text,
    type: typeof type === "string" ? type : "following",
    mode: typeof mode === "string" ? mode : "merge",
  };
}

/** What an import answers: its counts, and its failed rows (the first of them) with why. */
function serializeImport(row: AccountImportRow, failures: readonly ImportOutcome[]) {
  return {
    id: String(row.seq),
    type: row.type,
    mode: row.mode,
    state: row.state,
    total: row.total,
    duplicates: row.duplicates,
    processed: row.processed,
    followed: row.followed,
    skipped: row.skipped,
    failed: row.failed,
    failures: failures.map((f) => ({ line: f.line, account: f.handle, reason: f.reason ?? null })),
    error: row.error,
    created_at: row.createdAt.toISOString(),
    finished_at: row.finishedAt?.toISOString() ?? null,
  };
}

export const importsApi = new Hono<AppEnv>();
importsApi.use("*", requireOwner({ read: "read:follows", write: "write:follows" }));

importsApi.post("/", async (c) => {
  const input = await readImport(c);
  if (!input.ok) return jsonError(c, input.status, input.error);
  if (input.type !== "following") {
    return jsonError(c, 422, "type must be following: Outpost imports follows only");
  }
  if (input.mode !== "merge") {
    return jsonError(c, 422, "mode must be merge: Outpost adds to the accounts followed");
  }
  const accounts = readFollowingCsv(input.text, parseHandle);
  if (!accounts.ok) {
    return c.json(
      accounts.line === undefined
        ? { error: accounts.error }
        : { error: accounts.error, line: accounts.line },
      422,
    );
  }
  const started = await startImport(c.var.ctx, accounts);
  if (!started.ok) {
    return jsonError(c, started.reason === "anotherRunning" ? 409 : 503, started.error);
  }
  return c.json(serializeImport(started.import, []), 202);
});

importsApi.get("/:id", async (c) => {
  const id = c.req.param("id");
  const seq = /^\d{1,15}$/.test(id) ? Number(id) : undefined;
  const { db } = c.var.ctx;
  const row = seq === undefined ? undefined : await findImport(db, seq);
  if (row === undefined) return jsonError(c, 404, "no such import");
  const failures =
    row.failed === 0 ? [] : await importFailures(db, { importSeq: row.seq, limit: FAILURES_SHOWN });
  return c.json(serializeImport(row, failures));
});
