/** NodeInfo 2.0 and 2.1 documents: what crawlers and other servers learn about the instance. */
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { MASTODON_VERSION } from "../mastodon/instance";
import { countNotes } from "../storage/notes";
import { readProfile } from "../storage/owner-profile";
import { SOFTWARE } from "../version";
import { publicCache } from "./middleware/public-cache";

/** CORS: `middleware/cors.ts`, for every path under `/nodeinfo/`. */
export const nodeinfo = new Hono<AppEnv>();

nodeinfo.get("/:version{2\\.[01]}", publicCache({ negotiated: false }), async (c) => {
  const version = c.req.param("version") as "2.0" | "2.1";
  const { config, db } = c.var.ctx;
  const [localPosts, profile] = await Promise.all([
    countNotes(db, config.urls.owner.id),
    readProfile(db, config.owner),
  ]);
  const document = toNodeInfo(version, { localPosts, nodeName: profile.displayName });
  return c.body(JSON.stringify(document), 200, {
    "Content-Type": `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/${version}#"`,
  });
});

function toNodeInfo(
  version: "2.0" | "2.1",
  { localPosts, nodeName }: { localPosts: number; nodeName: string },
) {
  return {
    version,
    software: { name: SOFTWARE.name, version: SOFTWARE.version },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    // One user, by construction; counted active because the instance exists for them.
    usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts },
    metadata: {
      nodeName,
      singleUser: true,
      // The software is Outpost; its client API is Mastodon's. `upstream` is how Mastodon
      // forks (Fedibird, kmyblue) name the Mastodon they follow, and where client libraries
      // look when they do not know `software.name`: megalodon's `detector` answers "mastodon"
      // for any software whose `metadata.upstream.name` is Mastodon, so apps built on it
      // (Whalebird, Fedistar) sign in with their Mastodon client.
      upstream: { name: "Mastodon", version: MASTODON_VERSION },
    },
  };
}
