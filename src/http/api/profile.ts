/**
 * The owner's profile and preferences, shaped like Mastodon's client API:
 * `GET /api/v1/accounts/verify_credentials`, `PATCH /api/v1/accounts/update_credentials`,
 * `DELETE /api/v1/profile/avatar` and `/header` (Mastodon 4.2), `GET /api/v1/preferences`.
 * Mounted before the accounts router, whose `/:id` would take `verify_credentials` for an
 * id; its paths share that router's prefix, so each route carries its own auth rather than
 * a `use("*")` that would reach the accounts routes too.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { saveProfileImages, updateProfile } from "../../federation/publish/profile";
import { serializeCredentialAccount, serializePreferences } from "../../mastodon/profile";
import { countFollowRequests } from "../../storage/follows";
import { readProfile } from "../../storage/owner-profile";
import { loadOwner } from "../../views/statuses";
import { requireOwner, requireScope, requireToken } from "../middleware/owner-auth";
import { readProfileInput } from "./profile-input";

export const profile = new Hono<AppEnv>();

const accountScopes = requireOwner({ read: "read:accounts", write: "write:accounts" });

/** The owner's CredentialAccount: their account, with what they wrote and their defaults. */
async function credentials(c: Context<AppEnv>) {
  const { ctx } = c.var;
  const [{ account, profile }, requests] = await Promise.all([
    loadOwner(ctx),
    countFollowRequests(ctx.db, ctx.config.urls.owner.id),
  ]);
  return c.json(serializeCredentialAccount(account, profile, requests));
}

// Mastodon lets a token with only `profile` (sign-in with Mastodon) read this one route.
profile.get(
  "/v1/accounts/verify_credentials",
  requireToken(),
  requireScope("read:accounts", "profile"),
  credentials,
);

/**
 * Changes the profile; answers the CredentialAccount as it now is. A change others can see
 * federates one `Update` of the actor; a request that changes nothing sends nothing.
 */
profile.patch("/v1/accounts/update_credentials", accountScopes, async (c) => {
  const input = await readProfileInput(c);
  if (!input.ok) return c.json(input.body, input.status);
  const { ctx } = c.var;
  const images = await saveProfileImages(ctx, input.images);
  await updateProfile(ctx, { ...input.changes, ...images });
  return credentials(c);
});

/**
 * Removes the uploaded avatar or header: the configured one (or none) shows again, and
 * others are sent the change. Removing what is not there changes nothing, and is no error.
 */
for (const [path, key] of [
  ["/v1/profile/avatar", "avatarKey"],
  ["/v1/profile/header", "headerKey"],
] as const) {
  profile.delete(path, accountScopes, async (c) => {
    await updateProfile(c.var.ctx, { [key]: null });
    return credentials(c);
  });
}

profile.get("/v1/preferences", accountScopes, async (c) => {
  const { db, config } = c.var.ctx;
  return c.json(serializePreferences(await readProfile(db, config.owner)));
});
