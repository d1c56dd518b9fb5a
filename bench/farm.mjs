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
    /**
     * host -> { mode, posts: [{ path, activity, at, doneAt, ok }], failures }; `failures`
     * counts the 500s answered per activity, so that senders running side by side (each its
     * own activity) each meet a host's two 500s.
     */
    this.state = new Map();
  }

  async start(count) {
    for (let i = 0; i < count; i++) {
      const server = createServer((req, res) => this.handle(server, req, res));
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const host = `127.0.0.1:${server.address().port}`;
      server.host = host;
      this.hosts.push({ host, server });
      this.state.set(host, { mode: "ok", posts: [], failures: new Map() });
    }
  }

  reset(modeOf = () => "ok") {
    for (const [i, { host }] of this.hosts.entries()) {
      this.state.set(host, { mode: modeOf(i), posts: [], failures: new Map() });
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
      const record = { path: req.url, activity, at: Date.now(), doneAt: null, ok: false };
      state.posts.push(record);
      const answer = (status) =>
        setTimeout(() => {
          record.ok = status < 300;
          record.doneAt = Date.now();
          res.writeHead(status, { "content-type": "application/json" });
          res.end("{}");
        }, this.latency);
      switch (state.mode) {
        case "fail500twice":
          if ((state.failures.get(activity) ?? 0) < 2) {
            state.failures.set(activity, (state.failures.get(activity) ?? 0) + 1);
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

/**
 * The fault mix of the faults scenario, the same for every sender: of the hosts, in a fixed
 * scrambled order (so that faults fall on shared-inbox and own-inbox hosts alike), 10% answer
 * 500 twice (per activity), 5% refuse connections for a while, 2% hang past a 10 s timeout
 * (then drop the socket at 15 s), 1% answer 410; the rest are healthy ("ok").
 */
export function faultModes(hostCount) {
  const n = hostCount;
  const mode = (p) => {
    if (p < 0.1) return "fail500twice";
    if (p < 0.15) return "refuse";
    if (p < 0.17) return "hang";
    if (p < 0.18) return "gone";
    return "ok";
  };
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => ((a * 7919) % n) - ((b * 7919) % n),
  );
  const rank = new Map(order.map((host, r) => [host, r]));
  return (i) => mode(rank.get(i) / n);
}

/**
 * What one sender achieved for one activity, from what the fake servers recorded: every time
 * is of the answer (the POST's 2xx), relative to `started`. `modeOf` says which hosts were
 * faulty (none in a clean run); deliverable inboxes are those not on a hanging or gone host.
 */
export function scoreRun(farm, followers, { activityId, started, modeOf = () => "ok" }) {
  const modes = new Map(farm.hosts.map(({ host }, i) => [host, modeOf(i)]));
  const expected = [...uniqueInboxesOf(followers)];
  const hostOf = (inbox) => new URL(inbox).host;
  const firstOk = new Map();
  const postsTo = new Map();
  let posts = 0;
  let duplicates = 0;
  const hungAt = [];
  for (const [host, state] of farm.state) {
    for (const post of state.posts) {
      if (post.activity !== activityId) continue;
      posts++;
      const inbox = `http://${host}${post.path}`;
      postsTo.set(inbox, (postsTo.get(inbox) ?? 0) + 1);
      if (modes.get(host) === "hang") hungAt.push(post.at - started);
      if (!post.ok) continue;
      if (firstOk.has(inbox)) duplicates++;
      else firstOk.set(inbox, post.doneAt - started);
    }
  }
  const deliverable = expected.filter((i) => !["hang", "gone"].includes(modes.get(hostOf(i))));
  const healthy = expected.filter((i) => modes.get(hostOf(i)) === "ok");
  const until = (inboxes) =>
    inboxes.every((i) => firstOk.has(i))
      ? Math.max(0, ...inboxes.map((i) => firstOk.get(i)))
      : null;
  const by = (s) => deliverable.filter((i) => firstOk.has(i) && firstOk.get(i) <= s * 1000).length;
  const wallMs = until(deliverable);
  const sent = [...postsTo].map(([inbox, n]) => ({ mode: modes.get(hostOf(inbox)), n }));
  return {
    posts,
    uniqueInboxes: expected.length,
    deliverable: deliverable.length,
    delivered: deliverable.filter((i) => firstOk.has(i)).length,
    duplicates,
    wallMs,
    healthyWallMs: until(healthy),
    deliveredBy: { "60s": by(60), "150s": by(150), "300s": by(300), "600s": by(600) },
    /** POSTs to hung hosts while watched (the whole window with `--fault-window`). */
    hungHostPosts: sent.filter((s) => s.mode === "hang").reduce((n, s) => n + s.n, 0),
    /** POSTs to hung hosts until every deliverable inbox had it. */
    hungHostPostsUntilDone: hungAt.filter((t) => wallMs === null || t <= wallMs).length,
    goneRepeats: sent.filter((s) => s.mode === "gone").reduce((n, s) => n + s.n - 1, 0),
    /** Deliverable inboxes not reached, for `lost` (the sender says which still wait). */
    undelivered: deliverable.filter((i) => !firstOk.has(i)),
  };
}

export const uniqueInboxesOf = (followers) =>
  new Set(followers.map((f) => f.sharedInbox ?? f.inbox));
