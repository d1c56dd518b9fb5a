/**
 * The workerd side of the fake fediverse: remote actors with real keys, served by the
 * loopback server, that sign and send activities to the instance like real servers do.
 */

import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { importPrivateKey } from "../../src/signatures/algorithms";
import { fromBase64, generateRsaKeyPair } from "../../src/signatures/keys";
import { type SigningKey, signMessage } from "../../src/signatures/sign";
import {
  type KeyResolver,
  type SignatureFlavour,
  verifyRequest,
} from "../../src/signatures/verify";
import { fetchWithVars } from "../helpers";
import type { FakeDocument, RecordedRequest } from "./fediverse-server";

const ADMIN = "http://fediverse.admin";
export const ORIGIN = "https://outpost.test";
export const OWNER = `${ORIGIN}/users/owner`;
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";

export async function serve(...documents: FakeDocument[]): Promise<void> {
  const res = await fetch(`${ADMIN}/documents`, {
    method: "POST",
    body: JSON.stringify(documents),
  });
  if (!res.ok) throw new Error(`fake fediverse refused documents: ${res.status}`);
}

export async function forget(prefix: string): Promise<void> {
  await fetch(`${ADMIN}/documents?prefix=${encodeURIComponent(prefix)}`, { method: "DELETE" });
}

/** What the fake fediverse received for a host, oldest first. */
export async function received(host: string, method?: string): Promise<RecordedRequest[]> {
  const query = new URLSearchParams({ host, ...(method === undefined ? {} : { method }) });
  return (await (await fetch(`${ADMIN}/requests?${query}`)).json()) as RecordedRequest[];
}

/** Waits until `check` holds, polling; for what the queue does in the background. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface RemoteActorOptions {
  readonly host: string;
  readonly username?: string;
  readonly name?: string;
  /** Where the key lives: `<actor>#main-key` (Mastodon) or `<actor>/main-key` (GoToSocial). */
  readonly keyStyle?: "fragment" | "path";
  readonly sharedInbox?: boolean;
  readonly extra?: Record<string, unknown>;
}

export interface SendOptions {
  readonly flavour?: SignatureFlavour;
  /** Default the owner's inbox. */
  readonly path?: string;
  readonly now?: number;
  /** Sign with this key instead of the actor's own. */
  readonly signWith?: SigningKey;
  readonly contentType?: string;
  /** Other values for the instance's vars, as a differently configured instance. */
  readonly vars?: Partial<Record<keyof Env, string>>;
}

let counter = 0;

/** A stable made-up client address for a host. */
function addressOf(host: string): string {
  let hash = 0;
  for (const ch of host) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `198.51.${(hash >>> 8) % 256}.${hash % 256}`;
}

/** A document we send: an id, and anything else. */
export type Doc = { id: string; [key: string]: unknown };

/** What a remote actor is made of: its ids, host, served document and key. */
interface RemoteActorParts {
  readonly id: string;
  readonly keyId: string;
  readonly host: string;
  readonly document: Record<string, unknown>;
  readonly publicKeyPem: string;
  readonly signing: SigningKey;
}

export class RemoteActor {
  readonly id: string;
  readonly keyId: string;
  readonly host: string;
  readonly document: Record<string, unknown>;
  public publicKeyPem: string;
  private signing: SigningKey;

  private constructor(parts: RemoteActorParts) {
    this.id = parts.id;
    this.keyId = parts.keyId;
    this.host = parts.host;
    this.document = parts.document;
    this.publicKeyPem = parts.publicKeyPem;
    this.signing = parts.signing;
  }

  get inbox(): string {
    return `${this.id}/inbox`;
  }

  /** A new remote actor with a fresh key pair, served by the fake fediverse. */
  static async create(options: RemoteActorOptions): Promise<RemoteActor> {
    const username = options.username ?? `user${++counter}`;
    const id = `https://${options.host}/users/${username}`;
    const keyId = options.keyStyle === "path" ? `${id}/main-key` : `${id}#main-key`;
    const pair = await generateRsaKeyPair();
    const privateKey = await importPrivateKey(fromBase64(pair.privateKeyPkcs8), "rsa-v1_5-sha256");
    const document: Record<string, unknown> = {
      "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
      id,
      type: "Person",
      preferredUsername: username,
      name: options.name ?? username,
      inbox: `${id}/inbox`,
      outbox: `${id}/outbox`,
      followers: `${id}/followers`,
      following: `${id}/following`,
      url: `https://${options.host}/@${username}`,
      publicKey: { id: keyId, owner: id, publicKeyPem: pair.publicKeyPem },
      ...(options.sharedInbox === false
        ? {}
        : { endpoints: { sharedInbox: `https://${options.host}/inbox` } }),
      ...options.extra,
    };
    const actor = new RemoteActor({
      id,
      keyId,
      host: options.host,
      document,
      publicKeyPem: pair.publicKeyPem,
      signing: { keyId, privateKey },
    });
    await actor.publish();
    if (options.keyStyle === "path") {
      // GoToSocial answers its key URL with the actor's document (whose id is the actor).
      await serve({ url: keyId, body: document });
    }
    return actor;
  }

  /** (Re)serves the actor's document, e.g. after changing it. */
  async publish(changes: Record<string, unknown> = {}): Promise<void> {
    Object.assign(this.document, changes);
    await serve({ url: this.id, body: this.document });
  }

  /** Answers WebFinger for the actor's handle (`<last segment of its id>@<host>`). */
  async serveWebFinger(): Promise<void> {
    const acct = `acct:${this.id.split("/").pop()}@${this.host}`;
    await serve({
      url: `https://${this.host}/.well-known/webfinger?resource=${encodeURIComponent(acct)}`,
      body: {
        subject: acct,
        links: [{ rel: "self", type: "application/activity+json", href: this.id }],
      },
      contentType: "application/jrd+json",
    });
  }

  /** A new key pair: the document publishes it, and the actor signs with it from now on. */
  async rotateKey(): Promise<void> {
    const pair = await generateRsaKeyPair();
    const privateKey = await importPrivateKey(fromBase64(pair.privateKeyPkcs8), "rsa-v1_5-sha256");
    this.signing = { keyId: this.keyId, privateKey };
    this.publicKeyPem = pair.publicKeyPem;
    await this.publish({
      publicKey: { id: this.keyId, owner: this.id, publicKeyPem: pair.publicKeyPem },
    });
  }

  get signingKey(): SigningKey {
    return this.signing;
  }

  /** An id for a new activity or object of this actor. */
  newId(kind = "activities"): string {
    return `https://${this.host}/${kind}/${++counter}`;
  }

  /** Signs and POSTs an activity (or any body) to the instance. */
  async send(activity: unknown, options: SendOptions = {}): Promise<Response> {
    const url = new URL(options.path ?? "/users/owner/inbox", ORIGIN);
    const body =
      activity instanceof Uint8Array
        ? activity
        : new TextEncoder().encode(
            typeof activity === "string" ? activity : JSON.stringify(activity),
          );
    const headers = await signMessage(
      {
        method: "POST",
        url,
        headers: new Headers({
          "content-type": options.contentType ?? "application/activity+json",
        }),
        body,
      },
      {
        key: options.signWith ?? this.signing,
        flavour: options.flavour ?? "cavage",
        now: options.now === undefined ? undefined : new Date(options.now),
      },
    );
    // Each remote host sends from its own address, as servers do (rate limits are per address).
    headers.set("cf-connecting-ip", addressOf(this.host));
    const request = new Request(url, { method: "POST", headers, body });
    if (options.vars === undefined) return exports.default.fetch(request);
    return fetchWithVars(options.vars, request);
  }

  /** An activity of this actor with a fresh id. */
  activity(type: string, object: unknown, extra: Record<string, unknown> = {}): Doc {
    return { "@context": AS_CONTEXT, id: this.newId(), type, actor: this.id, object, ...extra };
  }

  /** A `Like` of `object` by this actor. */
  like(object: string): Doc {
    return this.activity("Like", object);
  }

  /** A public boost (`Announce`) of `object` by this actor. */
  boost(object: string): Doc {
    return this.activity("Announce", object, { to: [PUBLIC], cc: [`${this.id}/followers`] });
  }

  /** Actors on their own hosts (`<prefix><n>.test`), created at once (each makes a key pair). */
  static crowd(prefix: string, n: number): Promise<RemoteActor[]> {
    return Promise.all(
      Array.from({ length: n }, (_, i) =>
        RemoteActor.create({ host: `${prefix}${i}.test`, username: `${prefix}${i}` }),
      ),
    );
  }

  /** A public note by this actor. */
  note(content: string, extra: Record<string, unknown> = {}): Doc {
    return {
      id: this.newId("notes"),
      type: "Note",
      attributedTo: this.id,
      content,
      published: new Date().toISOString(),
      to: [PUBLIC],
      cc: [`${this.id}/followers`],
      ...extra,
    };
  }
}

/**
 * The activities POSTed to an inbox URL (as the fake fediverse received them), each with its
 * signature checked against the owner's published key; in arrival order.
 */
export async function deliveriesAt(inbox: string): Promise<Record<string, unknown>[]> {
  const owner = (await (
    await exports.default.fetch(OWNER, { headers: { Accept: "application/activity+json" } })
  ).json()) as { publicKey: { id: string; publicKeyPem: string } };
  const resolveKey: KeyResolver = async (keyId) => ({
    ok: true,
    fromCache: false,
    key: { id: keyId, owner: OWNER, publicKeyPem: owner.publicKey.publicKeyPem },
  });
  const posts = (await received(new URL(inbox).host, "POST")).filter((r) => r.url === inbox);
  const out: Record<string, unknown>[] = [];
  for (const post of posts) {
    const verified = await verifyRequest(
      { method: "POST", url: new URL(post.url), headers: new Headers(post.headers) },
      new TextEncoder().encode(post.body),
      { resolveKey },
    );
    if (!verified.ok || verified.keyId !== owner.publicKey.id) {
      throw new Error(
        `unverified delivery to ${inbox}: ${verified.ok ? verified.keyId : verified.reason}`,
      );
    }
    out.push(JSON.parse(post.body) as Record<string, unknown>);
  }
  return out;
}

/** Sends an activity and expects the inbox to accept it (202). */
export async function accepted(
  actor: RemoteActor,
  activity: unknown,
  options?: SendOptions,
): Promise<void> {
  expect((await actor.send(activity, options)).status).toBe(202);
}
