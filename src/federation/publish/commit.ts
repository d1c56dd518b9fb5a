/** What the owner's actions share: how they answer, and how they store and start delivery. */
import type { AppContext } from "../../context";
import { runBatch, type Statement } from "../../storage/db";
import { startFanouts } from "../outbox";

export type ActionResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: 404 | 409 | 422; readonly error: string };

export const fail = (status: 404 | 409 | 422, error: string) =>
  ({ ok: false, status, error }) as const;

/** Stores the statements in one batch, then starts the delivery of the activities among them. */
export async function commit(
  ctx: Pick<AppContext, "db" | "queue" | "now">,
  statements: readonly Statement[],
  activityIds: readonly string[],
): Promise<void> {
  await runBatch(ctx.db, statements);
  await startFanouts(ctx, activityIds);
}
