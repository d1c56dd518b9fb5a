/**
 * The remote servers of the fan-out benchmark (bench/fanout.mjs): one fake server per host on
 * 127.0.0.1 that answers POSTs after a latency (or fails as told), and records what it got.
 */
import { createServer } from "node:http";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One fake server per host, each on its own loopback port, answering after `latency` ms. */
export class Farm {
  constructor(latency) {
    this.latency = latency;
    this.hosts = [];
    /** host -> { mode, posts: [{ path, activity, at }], attempts } */
    this.state = new Map();
  }

  async start(count) {
    for (let i = 0; i < count; i++) {
      const server = createServer((req, res) => this.handle(server, req, res));
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const host = `127.0.0.1:${server.address().port}`;
      server.host = host;
      this.hosts.push({ host, server });
      this.state.set(host, { mode: "ok", posts: [], failures: 0 });
    }
  }

  reset(modeOf = () => "ok") {
    for (const [i, { host }] of this.hosts.entries()) {
      this.state.set(host, { mode: modeOf(i), posts: [], failures: 0 });
    }
  }

  handle(server, req, res) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const state = this.state.get(server.host);
      let activity;
      try {
        activity = JSON.parse(Buffer.concat(chunks).toString("utf8")).id;
      } catch {}
      const record = { path: req.url, activity, at: Date.now(), ok: false };
      state.posts.push(record);
      const answer = (status) =>
        setTimeout(() => {
          record.ok = status < 300;
          res.writeHead(status, { "content-type": "application/json" });
          res.end("{}");
        }, this.latency);
      switch (state.mode) {
        case "fail500twice":
          if (state.failures < 2) {
            state.failures++;
            return answer(500);
          }
          return answer(202);
        case "hang":
          // Past the sender's 10 s timeout; then the socket is dropped.
          return setTimeout(() => res.destroy(), 15_000);
        case "gone":
          return answer(410);
        default:
          return answer(202);
      }
    });
  }

  /** Stops answering connections on some hosts for a while, then comes back. */
  refuseFor(hostIndexes, ms) {
    for (const i of hostIndexes) {
      const { server } = this.hosts[i];
      const port = server.address().port;
      server.close();
      server.closeAllConnections();
      setTimeout(() => server.listen(port, "127.0.0.1"), ms);
    }
  }

  /** Inboxes that accepted an activity (2xx), and the POSTs made for it (whatever the answer). */
  receipts(activityId) {
    const inboxes = new Set();
    let posts = 0;
    for (const [host, state] of this.state) {
      for (const post of state.posts) {
        if (post.activity !== activityId) continue;
        posts++;
        if (post.ok) inboxes.add(`http://${host}${post.path}`);
      }
    }
    return { inboxes, posts };
  }

  async close() {
    for (const { server } of this.hosts) {
      server.closeAllConnections();
      server.close();
    }
  }
}

/**
 * `count` followers spread over the hosts: the first `sharedFraction` of the hosts have a
 * shared inbox, the others do not.
 */
export function followersOf(farm, count, sharedFraction) {
  const followers = [];
  for (let i = 0; i < count; i++) {
    const h = i % farm.hosts.length;
    const host = farm.hosts[h].host;
    const shared = h < farm.hosts.length * sharedFraction;
    const id = `http://${host}/users/u${Math.floor(i / farm.hosts.length)}`;
    followers.push({
      id,
      host,
      inbox: `${id}/inbox`,
      sharedInbox: shared ? `http://${host}/inbox` : null,
    });
  }
  return followers;
}

export const uniqueInboxesOf = (followers) =>
  new Set(followers.map((f) => f.sharedInbox ?? f.inbox));
