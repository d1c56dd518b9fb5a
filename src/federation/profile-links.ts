/**
 * The owner's profile links, verified as Mastodon verifies them: a field whose value is an
 * http(s) URL is verified when that page links back to the owner with `rel="me"`
 * (`outbound/link-back.ts`). A change of the fields asks for the new links' checks through
 * the queue (`verifyLinks`), never in the request; the cron asks again for links not checked
 * for `RECHECK_MS`. What a page answers decides (a link back verifies, anything else does
 * not); a page that does not answer, or answers 5xx, keeps what it had until the next check.
 * A verification is shown to apps (`verified_at`) and on the profile page; like Mastodon,
 * the actor does not carry it: other servers check the links themselves.
 */
import { purgePublic } from "../cache/public-documents";
import type { AppContext, Platform } from "../context";
import { checkLinkBack, type LinkBackResult } from "../outbound/link-back";
import { findStoredFields, saveFieldChecks } from "../storage/owner-profile";
import type { OwnerField } from "../storage/schema";
import { enqueue } from "./queue/send";

/** Links checked at most, one fetch each: Mastodon's number of fields. */
export const MAX_CHECKED_FIELDS = 4;
/** How long a check stands before the cron asks for another. */
export const RECHECK_MS = 24 * 3600_000;

/** The URL a field's value is when it is one to check: http or https, as its link is shown. */
export function linkOf(value: string): string | undefined {
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || url.protocol === "http:")
    ? url.href
    : undefined;
}

/**
 * The fields the owner sent, each with the checks of a field they had with the same value
 * (Mastodon keeps `verified_at` so): a value changed, or new, starts unchecked.
 */
export function carryChecks(
  before: readonly OwnerField[],
  next: readonly OwnerField[],
): OwnerField[] {
  return next.map(({ name, value }) => {
    const kept = before.find((f) => f.value === value);
    return {
      name,
      value,
      ...(kept?.verifiedAt === undefined ? {} : { verifiedAt: kept.verifiedAt }),
      ...(kept?.checkedAt === undefined ? {} : { checkedAt: kept.checkedAt }),
    };
  });
}

/** The positions of the fields whose link was never checked, or not since `before`. */
export function dueFields(fields: readonly OwnerField[], before: Date): number[] {
  return fields.flatMap((f, i) =>
    i < MAX_CHECKED_FIELDS &&
    linkOf(f.value) !== undefined &&
    (f.checkedAt === undefined || Date.parse(f.checkedAt) < before.getTime())
      ? [i]
      : [],
  );
}

/**
 * Asks the queue to check the links due. A failure is logged, not thrown: the change is
 * stored, and the cron asks again for the links still unchecked.
 */
export async function requestLinkChecks(ctx: Pick<Platform, "queue">): Promise<void> {
  try {
    await enqueue(ctx, [{ body: { v: 1, type: "verifyLinks" } }]);
  } catch (error) {
    console.error(
      `profile links: checks not requested yet: ${error instanceof Error ? error.message : "error"}`,
    );
  }
}

/** The cron's part: one message when a stored link is due; the vars' fields are never checked. */
export async function recheckProfileLinks(ctx: Pick<Platform, "db" | "queue" | "now">) {
  const fields = await findStoredFields(ctx.db);
  const before = new Date(ctx.now().getTime() - RECHECK_MS);
  if (fields === undefined || dueFields(fields, before).length === 0) return 0;
  await requestLinkChecks(ctx);
  return 1;
}

/** A field after its check: verified, not verified, or (no answer) as it was. */
function checked(field: OwnerField, result: LinkBackResult, at: string): OwnerField {
  const transient =
    !result.ok &&
    (result.reason === "unreachable" ||
      (result.reason === "httpError" && (result.status ?? 0) >= 500));
  const { verifiedAt: _verifiedAt, ...rest } = field;
  if (transient) return { ...field, checkedAt: at };
  if (result.ok && result.linksBack) return { ...rest, verifiedAt: at, checkedAt: at };
  return { ...rest, checkedAt: at };
}

/**
 * A `verifyLinks` message: the due links fetched together, their checks stored unless the
 * owner changed the fields meanwhile, and the profile pages purged when a mark changed.
 */
export async function verifyProfileLinks(ctx: AppContext): Promise<void> {
  const fields = await findStoredFields(ctx.db);
  const now = ctx.now();
  const due = fields === undefined ? [] : dueFields(fields, new Date(now.getTime() - RECHECK_MS));
  if (fields === undefined || due.length === 0) return;
  const { owner } = ctx.config.urls;
  const targets = [owner.id, owner.profile];
  const at = now.toISOString();
  const next = [...fields];
  await Promise.all(
    due.map(async (i) => {
      const field = fields[i];
      const url = field && linkOf(field.value);
      if (field === undefined || url === undefined) return;
      next[i] = checked(field, await checkLinkBack(ctx, { url, targets }), at);
    }),
  );
  const saved = await saveFieldChecks(ctx.db, { seen: fields, next });
  // The page shows each mark with its date.
  if (saved && due.some((i) => fields[i]?.verifiedAt !== next[i]?.verifiedAt)) {
    await purgePublic(ctx.config.urls, [{ kind: "verifiedLinks" }]);
  }
}
