/**
 * The remote side of the fault soak (bench/soak.mjs): fake servers on loopback that serve
 * actors with real RSA keys and record every POST they receive (activity id, type, inbox,
 * answer), each with a fault mode that may change over time; a server that accepts
 * connections and never answers; and what the remote actors send to the instance's inboxes:
 * valid, forged, replayed and hostile activities, signed with draft-cavage (`cavage.mjs`).
 */
import { createServer } from "node:http";
import { newKey, signedPost } from "./cavage.mjs";

const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;

/**
 * One fake server on `address`. `modeOf()` says how it answers a POST now: "ok" (202),
 * "fail500", "gone" (410) or "hang" (held past the sender's 10 s timeout, then dropped); it
 * is asked every second too, and while it says "refused" the listener is closed, so that
 * connections are refused.
 */
export class Remote {
  constructor(address, modeOf = () => "ok") {
    this.address = address;
    this.modeOf = modeOf;
    this.documents = new Map();
    /** Every POST: { inbox, activity, type, at, status } (status null: never answered). */
    this.posts = [];
    this.refusing = false;
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, this.address, resolve));
    this.port = this.server.address().port;
    this.host = `${this.address}:${this.port}`;
    this.ticker = setInterval(() => this.refuse(this.modeOf() === "refused").catch(() => {}), 1000);
    return this;
  }

  handle(req, res) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const doc = this.documents.get(req.url);
      if (req.method !== "POST") {
        res.writeHead(doc ? 200 : 404, { "content-type": "application/activity+json" });
        return res.end(doc ? JSON.stringify(doc) : "{}");
      }
      let activity = {};
      try {
        activity = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      const record = {
        inbox: `http://${this.host}${req.url}`,
        activity: activity.id,
        type: activity.type,
        at: Date.now(),
        status: null,
      };
      this.posts.push(record);
      const mode = this.modeOf();
      if (mode === "hang") return setTimeout(() => res.destroy(), 15_000);
      record.status = mode === "fail500" ? 500 : mode === "gone" ? 410 : 202;
      res.writeHead(record.status, { "content-type": "application/json" });
      res.end("{}");
    });
  }

  /** An actor on this server, with a fresh key pair, and its document served. */
  async addActor(name) {
    const key = await newKey();
    const id = `http://${this.host}/users/${name}`;
    this.documents.set(`/users/${name}`, {
      "@context": [AS, "https://w3id.org/security/v1"],
      id,
      type: "Person",
      preferredUsername: name,
      inbox: `${id}/inbox`,
      publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: key.pem },
    });
    const actor = { id, host: this.host, address: this.address, inbox: `${id}/inbox` };
    return { ...actor, keyId: `${id}#main-key`, privateKey: key.privateKey };
  }

  /** Closes the listener (connections are refused), or opens it again on the same port. */
  async refuse(on) {
    if (on === this.refusing) return;
    this.refusing = on;
    if (on) {
      const closed = new Promise((resolve) => this.server.close(resolve));
      this.server.closeAllConnections();
      await closed;
    } else {
      await new Promise((resolve) => this.server.listen(this.port, this.address, resolve));
    }
  }

  async close() {
    clearInterval(this.ticker);
    this.server.closeAllConnections();
    if (!this.refusing) await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A server that accepts connections and never answers (until closed). */
export async function silentServer(address) {
  const server = createServer(() => {});
  await new Promise((resolve) => server.listen(0, address, resolve));
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { host: `${address}:${server.address().port}`, address, close };
}

/** The inbound mix: kinds by group, with their weights (about half valid, a fifth forged). */
export const MIX = {
  valid: { follow: 3, like: 10, announce: 6, reply: 6, undo: 6 },
  forged: { badSignature: 3, wrongKey: 3, unsigned: 3, expiredDate: 3, digestMismatch: 3 },
  replayed: { sameRequest: 5, sameIdResigned: 5 },
  hostile: { oversized: 1, deeplyNested: 2, silentKeyHost: 2 },
};

const KINDS = Object.entries(MIX).flatMap(([g, kinds]) =>
  Object.entries(kinds).map(([kind, weight]) => ({ group: g, kind, weight })),
);
const WEIGHT = KINDS.reduce((n, k) => n + k.weight, 0);

/** A random { group, kind } of the mix, by weight. */
export function pickKind() {
  let r = Math.random() * WEIGHT;
  for (const k of KINDS) {
    r -= k.weight;
    if (r < 0) return k;
  }
  return KINDS[0];
}

const pickFrom = (list) => list[Math.floor(Math.random() * list.length)];

/**
 * Builds the inbound requests: `build(kind)` resolves to { url, body, headers }, from a
 * random actor to the owner's inbox or the shared inbox (alternately). `notes()` lists the
 * owner's note URIs to like, boost and reply to; `ghost` is an actor on the silent server.
 */
export class Inbound {
  constructor({ origin, owner, actors, ghost, notes }) {
    Object.assign(this, { origin, owner, actors, ghost, notes });
    this.n = 0;
    /** Recent valid requests, for replays. */
    this.recent = [];
    /** The last Like or Announce of each actor, for its Undo. */
    this.reactions = new Map();
  }

  activity(actor, type, fields) {
    const n = ++this.n;
    const id = `${actor.id}/activities/${type.toLowerCase()}-${n}`;
    return { "@context": AS, id, type, actor: actor.id, ...fields };
  }

  valid(kind, actor) {
    const note = pickFrom(this.notes()) ?? `${this.owner}/statuses/1`;
    const published = new Date().toISOString();
    switch (kind) {
      case "follow":
        return this.activity(actor, "Follow", { object: this.owner });
      case "announce":
        return this.activity(actor, "Announce", { object: note, to: [PUBLIC], published });
      case "reply": {
        const noteId = `${actor.id}/notes/${this.n + 1}`;
        const object = { id: noteId, type: "Note", attributedTo: actor.id, inReplyTo: note };
        const text = `<p>A reply, number ${this.n + 1}.</p>`;
        const to = { to: [PUBLIC], cc: [this.owner], published };
        return this.activity(actor, "Create", {
          object: { ...object, content: text, ...to },
          ...to,
        });
      }
      case "undo": {
        const object =
          this.reactions.get(actor.id) ?? this.activity(actor, "Like", { object: note });
        this.reactions.delete(actor.id);
        return this.activity(actor, "Undo", { object });
      }
      default:
        return this.activity(actor, "Like", { object: note });
    }
  }

  /** A signed Follow of the owner, to the shared inbox. */
  async follow(actor) {
    const body = JSON.stringify(this.valid("follow", actor));
    const req = await signedPost(`${this.origin}/inbox`, body, actor);
    req.headers["cf-connecting-ip"] = actor.address;
    return req;
  }

  async build(kind) {
    const actor = pickFrom(this.actors);
    const url = this.n % 2 === 0 ? `${this.origin}/inbox` : `${this.owner}/inbox`;
    const send = async (activity, signer = actor, extra = {}) => {
      const body = typeof activity === "string" ? activity : JSON.stringify(activity);
      const req = await signedPost(url, body, { ...signer, ...extra });
      req.headers["cf-connecting-ip"] = actor.address;
      return req;
    };
    const like = () => this.valid("like", actor);
    switch (kind) {
      case "badSignature": {
        const req = await send(like());
        req.headers.signature = req.headers.signature.replace(/signature="(.)/, (_, c) =>
          c === "A" ? 'signature="B' : 'signature="A',
        );
        return req;
      }
      case "wrongKey":
        return send(like(), pickFrom(this.actors.filter((a) => a !== actor)));
      case "unsigned": {
        const req = await send(like());
        delete req.headers.signature;
        return req;
      }
      case "expiredDate":
        return send(like(), actor, { date: new Date(Date.now() - 2 * 3600_000) });
      case "digestMismatch":
        return send(like(), actor, { digestOf: JSON.stringify(like()) });
      case "sameRequest":
        return pickFrom(this.recent) ?? send(like());
      case "sameIdResigned": {
        const old = pickFrom(this.recent);
        if (old === undefined) return send(like());
        const signer = this.actors.find((a) => a.id === JSON.parse(old.body).actor);
        return send(old.body, signer);
      }
      case "oversized":
        return send({ ...like(), content: "x".repeat(1_100_000) });
      case "deeplyNested": {
        const depth = 20_000;
        const tag = `${'{"tag":'.repeat(depth)}"deep"${"}".repeat(depth)}`;
        const create = this.valid("reply", actor);
        const body = JSON.stringify({ ...create, object: { ...create.object, tag: "DEEP" } });
        return send(body.replace('"DEEP"', tag));
      }
      case "silentKeyHost": {
        const ghost = this.ghost;
        const req = await send(this.activity(ghost, "Like", { object: this.owner }), ghost);
        req.headers["cf-connecting-ip"] = ghost.address;
        return req;
      }
      default: {
        const activity = this.valid(kind, actor);
        if (activity.type === "Like" || activity.type === "Announce") {
          this.reactions.set(actor.id, activity);
        }
        const req = await send(activity);
        this.recent.push(req);
        if (this.recent.length > 50) this.recent.shift();
        return req;
      }
    }
  }
}

// ---------------------------------------------------------------- the farm and its records

/** SQL that makes the farm's `followers` (bench/farm.mjs's `followersOf`) follow `owner`. */
export function seedSql(owner, followers) {
  const now = Date.now();
  const q = (s) => (s === null ? "NULL" : `'${s.replace(/'/g, "''")}'`);
  const lines = followers.flatMap((f) => [
    `INSERT INTO actors (id, type, preferred_username, domain, inbox, shared_inbox, fetched_at) VALUES (${q(f.id)}, 'Person', 'u', ${q(f.host)}, ${q(f.inbox)}, ${q(f.sharedInbox)}, ${now});`,
    `INSERT INTO follows (actor, follower, state, created_at, accepted_at) VALUES (${q(owner)}, ${q(f.id)}, 'accepted', ${now}, ${now});`,
  ]);
  return lines.join("\n");
}

/**
 * Each farm host's fault, spread by a fixed shuffle over hosts with and without a shared
 * inbox: about 1/6 "flaky" (500 while a window is open), 1/8 "refusing" (closed while a
 * window is open), 1/12 "hang", 1/24 "gone" (410), the rest "ok". Each host of a kind has
 * its own window offset, in seconds.
 */
function faultPlan(n) {
  const counts = [
    ["flaky", Math.round(n / 6), 0],
    ["refusing", Math.round(n / 8), 90],
    ["hang", Math.max(1, Math.round(n / 12)), 0],
    ["gone", Math.max(1, Math.round(n / 24)), 0],
  ];
  const mix = (i) => Math.imul(i + 1, 2654435761) >>> 0;
  const order = [...Array(n).keys()].sort((a, b) => mix(a) - mix(b));
  const plan = Array.from({ length: n }, () => ({ fault: "ok", offset: 0 }));
  let k = 0;
  for (const [fault, count, base] of counts) {
    for (let rank = 0; rank < count && k < n; rank++) {
      plan[order[k++]] = { fault, offset: base + 40 * rank };
    }
  }
  return plan;
}

/** A farm host's answer mode now; `open(offset)` says whether its fault window is open. */
const modeOf =
  ({ fault, offset }, open) =>
  () => {
    if (fault === "hang" || fault === "gone") return fault;
    if (!open(offset)) return "ok";
    return fault === "flaky" ? "fail500" : fault === "refusing" ? "refused" : "ok";
  };

/**
 * The remote side: `farmHosts` fault farm servers on 127.0.0.1 (`plan`), 4 servers on
 * 127.0.0.2-5 with 3 actors each (`actors`, healthy), and the silent server on 127.0.0.6,
 * with an actor (`ghost`) whose key is never served. `endless`: the farm hosts that never
 * take a delivery (hanging, gone).
 */
export async function startRemotes(farmHosts, open) {
  const plan = faultPlan(farmHosts);
  const farm = await Promise.all(plan.map((p) => new Remote("127.0.0.1", modeOf(p, open)).start()));
  const inbound = await Promise.all([2, 3, 4, 5].map((i) => new Remote(`127.0.0.${i}`).start()));
  const actors = [];
  for (const r of inbound) for (let a = 0; a < 3; a++) actors.push(await r.addActor(`a${a}`));
  const silent = await silentServer("127.0.0.6");
  const ghostId = `http://${silent.host}/users/ghost`;
  const ghost = { ...actors[0], id: ghostId, keyId: `${ghostId}#main-key`, ...silent };
  const endless = new Set(
    farm.filter((_, i) => ["hang", "gone"].includes(plan[i].fault)).map((r) => r.host),
  );
  const faults = {};
  for (const { fault } of plan) faults[fault] = (faults[fault] ?? 0) + 1;
  const close = async () => {
    await Promise.all([...farm, ...inbound].map((r) => r.close()));
    silent.close();
  };
  return { farm, inbound, all: [...farm, ...inbound], actors, ghost, endless, faults, close };
}

/** (activity, inbox) -> how many times it was answered 2xx, over every remote server. */
export function receipts(remotes) {
  const ok = new Map();
  for (const r of remotes) {
    for (const p of r.posts) {
      if (p.status === null || p.status >= 300 || p.activity === undefined) continue;
      const key = `${p.activity} ${p.inbox}`;
      ok.set(key, (ok.get(key) ?? 0) + 1);
    }
  }
  return ok;
}

/**
 * Each expected (post, inbox) pair: delivered (a 2xx receipt; more are duplicates), else
 * failed, parked or pending/retrying as the instance records its host for that post (the
 * deliveries route, in `post.hosts`), else lost. A pair whose host was seen parked and that
 * was received counts as drained.
 */
export function account(posts, remotes) {
  const ok = receipts(remotes);
  const r = { expected: 0, delivered: 0, duplicates: 0, duplicatedPairs: 0, failed: 0, parked: 0 };
  Object.assign(r, { unsettled: 0, lost: 0, seenParked: 0, drained: 0, lostExamples: [] });
  for (const post of posts) {
    for (const inbox of post.expected) {
      const n = ok.get(`${post.activity} ${inbox}`) ?? 0;
      const host = new URL(inbox).host;
      const record = post.hosts?.get(host);
      r.expected++;
      if (post.seenParked.has(host)) {
        r.seenParked++;
        if (n > 0) r.drained++;
      }
      if (n > 0) {
        r.delivered++;
        if (n > 1)
          [r.duplicatedPairs, r.duplicates] = [r.duplicatedPairs + 1, r.duplicates + n - 1];
      } else if (record?.state === "failed") r.failed++;
      else if (record?.state === "parked") r.parked++;
      else if (record?.state === "retrying" || record?.state === "pending") r.unsettled++;
      else {
        r.lost++;
        if (r.lostExamples.length < 5) r.lostExamples.push({ post: post.id, inbox, record });
      }
    }
  }
  return r;
}
