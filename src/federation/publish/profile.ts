/**
 * The owner changes their profile. It is stored, and when what other servers see of it
 * changed, one `Update` of the actor goes to the followers' servers, addressed as Mastodon
 * addresses its own (public; here with the followers in `cc`, which is how the fan-out
 * finds them). Unlocking the account lets in everyone who was waiting, as Mastodon does.
 * A new avatar or header is stored as a file first, then named by the profile in the same
 * change; the file it replaces is left to the cron (`sweepMedia`). A field keeps its link's
 * verification while its value stays; new links are checked through the queue afterwards
 * (`federation/profile-links.ts`).
 */
import { toActor } from "../../activitypub/actor";
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import { newObjectId } from "../../activitypub/urls";
import { type PublicChange, purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { saveMedia } from "../../media/store";
import type { ProcessedFile } from "../../media/types";
import type { Statement } from "../../storage/db";
import { acceptFollowStatement, followRequests } from "../../storage/follows";
import { agePictureStatement } from "../../storage/media";
import { forgetFollowRequestNotification } from "../../storage/notifications";
import { insertActivityStatement } from "../../storage/outbox";
import { type Profile, readOwner, saveProfileStatement } from "../../storage/owner-profile";
import { carryChecks, dueFields, requestLinkChecks } from "../profile-links";
import { commit } from "./commit";

/** What to change; a key left out (or undefined) stays as it is. */
export type ProfileChanges = { readonly [K in keyof Profile]?: Profile[K] | undefined };

/** What other servers see of the profile; the rest are the owner's posting defaults. */
const PUBLIC_KEYS = [
  "displayName",
  "note",
  "fields",
  "locked",
  "bot",
  "discoverable",
  "indexable",
  "avatarKey",
  "headerKey",
] as const satisfies readonly (keyof Profile)[];

/** Before any check: `dueFields` then finds only the links never checked. */
const NEVER = new Date(0);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function merge(before: Profile, changes: ProfileChanges): Profile {
  const after = { ...before };
  for (const key of Object.keys(before) as (keyof Profile)[]) {
    const value = changes[key];
    if (value !== undefined) Object.assign(after, { [key]: value });
  }
  return after;
}

export interface ProfileUpdate {
  readonly profile: Profile;
  /** The `Update` sent, when what others see changed. */
  readonly activityId: string | undefined;
}

/** New pictures for the profile, checked and stripped (`processUpload`); none when absent. */
export interface ProfileImageFiles {
  readonly avatar?: ProcessedFile | undefined;
  readonly header?: ProcessedFile | undefined;
}

/**
 * Stores the new pictures in the bucket, each with its row; the profile keys that name them,
 * to apply with the rest of the change. A file stored for a change that then fails is never
 * shown, and the cron removes it a day later.
 */
export async function saveProfileImages(
  ctx: Pick<AppContext, "db" | "bucket" | "now">,
  files: ProfileImageFiles,
): Promise<Pick<ProfileChanges, "avatarKey" | "headerKey">> {
  const [avatar, header] = await Promise.all([
    files.avatar && saveMedia(ctx, files.avatar, { purpose: "avatar" }),
    files.header && saveMedia(ctx, files.header, { purpose: "header" }),
  ]);
  return { avatarKey: avatar?.key, headerKey: header?.key };
}

/**
 * Applies the changes. Nothing is written, and nothing sent, when they change nothing; a
 * change of posting defaults alone is stored and not sent.
 */
export async function updateProfile(
  ctx: AppContext,
  changes: ProfileChanges,
): Promise<ProfileUpdate> {
  const { db, config } = ctx;
  const owner = config.urls.owner;
  const now = ctx.now();
  const { state, profile: before } = await readOwner(db, { defaults: config.owner, now });
  const fields = changes.fields && carryChecks(before.fields, changes.fields);
  const after = merge(before, { ...changes, fields });
  if (same(before, after)) return { profile: before, activityId: undefined };

  const statements: Statement[] = [saveProfileStatement(db, after, now)];
  // A picture set aside starts its day before the cron may remove it.
  for (const key of [before.avatarKey, before.headerKey]) {
    if (key !== null && key !== after.avatarKey && key !== after.headerKey) {
      statements.push(agePictureStatement(db, key, now));
    }
  }
  const activityIds: string[] = [];
  let updateId: string | undefined;
  if (PUBLIC_KEYS.some((key) => !same(before[key], after[key]))) {
    const { "@context": _context, ...actor } = toActor(config, state, after);
    const update = {
      id: config.urls.activity(newObjectId(now)),
      type: "Update",
      actor: owner.id,
      published: now.toISOString(),
      to: [PUBLIC_COLLECTION],
      cc: [owner.followers],
      object: actor,
    };
    statements.push(
      insertActivityStatement(db, {
        payload: update,
        objectId: owner.id,
        visibility: "public",
        published: now,
      }),
    );
    updateId = update.id;
    activityIds.push(update.id);
  }
  // What of the public documents changes: the actor and its pages when others see a change.
  const changed: PublicChange[] = updateId === undefined ? [] : [{ kind: "profile" }];
  if (before.locked && !after.locked) {
    const accepted = await acceptWaiting(ctx, now);
    statements.push(...accepted.statements);
    activityIds.push(...accepted.activityIds);
    // Followers let in are counted and listed.
    if (accepted.activityIds.length > 0) changed.push({ kind: "follows" });
  }
  await commit(ctx, statements, activityIds);
  await purgePublic(config.urls, changed);
  // Links never checked (a new value, or the vars' fields stored by a first change); the
  // others wait for the cron.
  if (dueFields(after.fields, NEVER).length > 0) await requestLinkChecks(ctx);
  return { profile: after, activityId: updateId };
}

/**
 * How many waiting follow requests unlocking accepts at once: each is three writes and an
 * activity to fan out, in the profile's one batch. Older requests go first; any beyond this
 * wait to be approved one by one (Mastodon accepts them all, in a background job).
 */
export const MAX_ACCEPTED_ON_UNLOCK = 50;

/** The oldest follow requests accepted (Mastodon's `authorize_all_follow_requests` on unlocking). */
async function acceptWaiting(
  ctx: AppContext,
  now: Date,
): Promise<{ statements: Statement[]; activityIds: string[] }> {
  const { db, config } = ctx;
  const owner = config.urls.owner.id;
  const statements: Statement[] = [];
  const activityIds = new Set<string>();
  for (const request of await followRequests(db, owner, MAX_ACCEPTED_ON_UNLOCK)) {
    let id = config.urls.activity(newObjectId(now));
    while (activityIds.has(id)) id = config.urls.activity(newObjectId(now));
    activityIds.add(id);
    const accept = {
      id,
      type: "Accept",
      actor: owner,
      // Servers match an Accept by the Follow's id, or by its actor and object.
      object: {
        ...(request.activityId === null ? {} : { id: request.activityId }),
        type: "Follow",
        actor: request.follower,
        object: owner,
      },
      to: [request.follower],
    };
    statements.push(
      acceptFollowStatement(db, { actor: owner, follower: request.follower, at: now }),
      forgetFollowRequestNotification(db, request.follower),
      insertActivityStatement(db, {
        payload: accept,
        objectId: request.activityId ?? request.follower,
        visibility: "direct",
        published: now,
      }),
    );
  }
  return { statements, activityIds: [...activityIds] };
}
