/** Shared by the tests of what the owner publishes: followers, and what their inboxes got. */
import { expect } from "vitest";
import { deliveriesAt, OWNER, RemoteActor } from "./remote";

/** The activities of a type the inbox got for an object. */
export const got = async (inbox: string, type: string, object: string) =>
  (await deliveriesAt(inbox)).filter(
    (a) => a.type === type && JSON.stringify(a.object).includes(object),
  );

/**
 * Three followers of the owner: two on `shared` (one shared inbox), one on `own`, a server
 * without a shared inbox. Each test file has its own hosts: the fake fediverse is shared.
 */
export async function ownerFollowers(hosts: { shared: string; own: string }) {
  const ann = await RemoteActor.create({ host: hosts.shared, username: "ann" });
  const abe = await RemoteActor.create({ host: hosts.shared, username: "abe" });
  const bea = await RemoteActor.create({ host: hosts.own, username: "bea", sharedInbox: false });
  for (const follower of [ann, abe, bea]) {
    expect((await follower.send(follower.activity("Follow", OWNER))).status).toBe(202);
  }
  return { ann, abe, bea };
}
