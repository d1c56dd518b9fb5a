/**
 * The signature: verified with the key it names (through the key store: KV, D1, or the key's
 * server), and the key must be the activity's actor's, on the activity's own host. Sets
 * `c.var.signer`. 401 for a signature that does not verify, 403 for one by someone else.
 */
import type { Context, MiddlewareHandler } from "hono";
import { objectIdOf } from "../../activitypub/activity";
import { hostOf } from "../../activitypub/parse";
import { isGone } from "../../cache/actors";
import { KeyStore } from "../../cache/key-store";
import { findActor } from "../../storage/actors";
import { jsonError } from "../responses";
import { drop } from "./blocks";
import type { InboxEnv } from "./env";

export function verifySignature(): MiddlewareHandler<InboxEnv> {
  return async function verifySignature(c, next) {
    const { ctx, activity } = c.var;
    const { actor } = activity;
    // Mastodon announces deleted accounts to every server it knows. For an actor we never
    // knew there is nothing to undo, and fetching its (gone) key would only cost us.
    const selfDelete = activity.type === "Delete" && objectIdOf(activity) === actor;
    if (selfDelete && (await findActor(ctx.db, actor)) === undefined) return c.body(null, 202);

    const request = c.req.raw;
    const message = { method: request.method, url: new URL(request.url), headers: request.headers };
    const verified = await new KeyStore(ctx, actor).verify(message, c.var.body);
    if (!verified.ok) {
      // An actor that says it deleted itself, signed with its own key, which is gone: believe
      // it once its own document answers 404 or 410 too (a key anyone names proves nothing).
      const gone =
        verified.reason === "keyGone" &&
        selfDelete &&
        keyBelongsTo(verified.keyId, actor) &&
        (await isGone(ctx, actor));
      // The owner blocked the key's domain: nothing was fetched, nothing is kept (`blocks.ts`).
      if (verified.reason === "blockedDomain") return drop(c, "blocked_domain");
      if (verified.reason === "foreignKey") {
        return forbidden(c, "keyOwnerMismatch: the signing key is not on the actor's host");
      }
      if (!gone) return jsonError(c, 401, `signature not accepted: ${verified.reason}`);
    } else if (verified.owner !== actor) {
      return forbidden(
        c,
        "keyOwnerMismatch: the signing key does not belong to the activity's actor",
      );
    }
    if (hostOf(activity.id) !== hostOf(actor)) {
      return forbidden(c, "the activity's id is not on its actor's host");
    }
    c.set("signer", actor);
    await next();
  };
}

const forbidden = (c: Context<InboxEnv>, error: string) => jsonError(c, 403, error);

/** A key id names the actor's own key: `<actor>#...` or `<actor>/...`. */
function keyBelongsTo(keyId: string | undefined, actor: string): boolean {
  if (keyId === undefined) return false;
  const bare = keyId.split("#")[0];
  return bare === actor || (bare?.startsWith(`${actor}/`) ?? false);
}
