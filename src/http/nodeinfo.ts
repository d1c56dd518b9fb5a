/** NodeInfo 2.0 and 2.1 documents: what crawlers and other servers learn about the instance. */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv, Config } from "../env";
import { countNotes } from "../storage/notes";
import { SOFTWARE } from "../version";

export const nodeinfo = new Hono<AppEnv>();

nodeinfo.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"] }));

nodeinfo.get("/:version{2\\.[01]}", async (c) => {
  const version = c.req.param("version") as "2.0" | "2.1";
  const { config, db } = c.var.ctx;
  const localPosts = await countNotes(db, config.urls.owner.id);
  return c.body(JSON.stringify(toNodeInfo(version, config, localPosts)), 200, {
    "Content-Type": `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/${version}#"`,
  });
});

function toNodeInfo(version: "2.0" | "2.1", config: Config, localPosts: number) {
  return {
    version,
    software: { name: SOFTWARE.name, version: SOFTWARE.version },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    // One user, by construction; counted active because the instance exists for them.
    usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts },
    metadata: { nodeName: config.owner.displayName, singleUser: true },
  };
}
