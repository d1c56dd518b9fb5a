/**
 * The streaming API's door and its object: the health check, the token in each of the three
 * places Mastodon takes it, what is refused before the upgrade, events reaching a socket
 * through `broadcast`, telling the object what changed never failing the caller
 * (`streamAfter`), and sockets surviving the object's eviction (hibernation).
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../src/lib/hash";
import { findToken } from "../src/storage/oauth";
import type { Streaming } from "../src/streaming/object";
import { streamAfter } from "../src/streaming/stream";
import { api, db, request } from "./helpers";
import { registerApp, signIn, type TokensToRefuse, tokensToRefuse } from "./support/oauth";
import { broadcast, closeAll, connect, openClient, streamingStub, update } from "./support/sockets";

let tokens: TokensToRefuse;

beforeAll(async () => {
  tokens = await tokensToRefuse("10.19.0");
});

afterEach(closeAll);

describe("GET /api/v1/streaming/health", () => {
  it("answers OK in plain text, without a token, as Mastodon's streaming server", async () => {
    const res = await request("/api/v1/streaming/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("OK");
  });
});

describe("the upgrade", () => {
  it("takes the token from Authorization, and streams what is sent to the socket's streams", async () => {
    const client = await openClient();
    client.subscribe("user");
    await client.settle();
    expect(await broadcast(update("11", "user"))).toBe(1);
    expect(await client.next()).toBe(
      JSON.stringify({ stream: ["user"], event: "update", payload: '{"id":"11"}' }),
    );
  });

  it("takes the token from Sec-WebSocket-Protocol, and echoes that protocol on the 101", async () => {
    const res = await connect({ via: "protocol" });
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("test-owner-token");
    res.webSocket?.accept();
    res.webSocket?.close();
  });

  it("takes the token from access_token, and subscribes the stream the query names", async () => {
    const client = await openClient({ via: "query", path: "?stream=public:local" });
    await broadcast(update("12", "public:local"));
    expect(await client.nextJson()).toMatchObject({ stream: ["public:local"], event: "update" });
  });

  it("subscribes a hashtag from the query, and the stream an old server-sent-events path names", async () => {
    const tagged = await openClient({ path: "?stream=hashtag&tag=Outpost" });
    const home = await openClient({ path: "/user" });
    await broadcast(update("13", "hashtag:outpost"), update("14", "user"));
    expect(await tagged.nextJson()).toMatchObject({ stream: ["hashtag", "Outpost"] });
    expect(await home.nextJson()).toMatchObject({ stream: ["user"], payload: '{"id":"14"}' });
  });

  it("answers an OAuth token that reads, with each of the three places", async () => {
    const app = await registerApp({ scopes: "read" });
    const token = await signIn(app, { scope: "read", address: "10.19.1.1" });
    for (const via of ["authorization", "protocol", "query"] as const) {
      const res = await connect({ via, token });
      expect(res.status, via).toBe(101);
      res.webSocket?.accept();
      res.webSocket?.close();
    }
  });

  it("refuses no token, an unknown one and a revoked one (401), wherever the token is", async () => {
    expect((await connect({ token: null })).status).toBe(401);
    for (const via of ["authorization", "protocol", "query"] as const) {
      for (const token of ["not-a-token", tokens.revoked]) {
        const res = await connect({ via, token });
        expect(res.status, `${via} ${token}`).toBe(401);
        expect(res.webSocket).toBeNull();
        expect(((await res.json()) as { error: string }).error).toBe("The access token is invalid");
      }
    }
  });

  it("refuses an app's own token (422) and a token without a reading scope (403)", async () => {
    expect((await connect({ token: tokens.own })).status).toBe(422);
    const res = await connect({ token: tokens.push, via: "protocol" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "This action is outside the authorized scopes" });
  });

  it("answers a request without Upgrade: websocket 426, once the token is good", async () => {
    const res = await api("/v1/streaming");
    expect(res.status).toBe(426);
    expect(res.headers.get("Upgrade")).toBe("websocket");
    expect(await res.json()).toEqual({ error: "The streaming API is served over WebSocket only" });
    expect((await api("/v1/streaming", { token: null })).status).toBe(401);
  });

  it("answers at /api/v1/streaming/ too (a trailing slash, as older clients connect)", async () => {
    const res = await connect({ path: "/?stream=user" });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close();
  });

  it("answers pings itself", async () => {
    const client = await openClient();
    client.send({ type: "ping" });
    expect(await client.next()).toBe('{"type":"pong"}');
  });
});

describe("streamAfter", () => {
  it("neither throws nor rejects when the call fails: it logs it", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const pending: Promise<unknown>[] = [];
    // A real binding of another class: the call to `changed` fails in the runtime.
    const wrong = env.HOST_STATE as unknown as DurableObjectNamespace<Streaming>;
    const told = { streaming: wrong, waitUntil: (p: Promise<unknown>) => pending.push(p) };
    expect(() => streamAfter(told, [{ kind: "filters" }])).not.toThrow();
    expect(pending).toHaveLength(1);
    await expect(Promise.all(pending)).resolves.toBeDefined();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^streaming: not told: /));
    warn.mockRestore();
  });

  it("makes no call for no changes", () => {
    const pending: Promise<unknown>[] = [];
    streamAfter({ streaming: env.STREAMING, waitUntil: (p) => pending.push(p) }, []);
    expect(pending).toHaveLength(0);
  });
});

describe("hibernation", () => {
  it("keeps the sockets and their subscriptions when the object is evicted", async () => {
    const client = await openClient({ path: "?stream=user" });
    client.subscribe("hashtag", { tag: "Kept" });
    await client.settle();
    const stub = streamingStub();
    const instances = new WeakSet<object>();
    await runInDurableObject(stub, (instance: Streaming) => {
      instances.add(instance);
    });
    await evictDurableObject(stub);
    // A new instance answers: the old one's memory is gone, the socket is not.
    await runInDurableObject(stub, (instance: Streaming, state) => {
      expect(instances.has(instance)).toBe(false);
      expect(state.getWebSockets()).toHaveLength(1);
    });
    await broadcast(update("21", "user"), update("22", "hashtag:kept"));
    expect(await client.nextJson()).toMatchObject({ stream: ["user"], payload: '{"id":"21"}' });
    expect(await client.nextJson()).toMatchObject({ stream: ["hashtag", "Kept"] });
  });
});

describe("a revoked token", () => {
  it("loses its sockets when the object is told (closeToken), and the others stay", async () => {
    const app = await registerApp({ scopes: "read" });
    const token = await signIn(app, { scope: "read", address: "10.19.2.1" });
    const found = await findToken(db(), await sha256Hex(token));
    const revoked = await openClient({ token, via: "protocol" });
    const kept = await openClient({ path: "?stream=user" });
    expect(await streamingStub().closeToken(found?.token.seq ?? -1)).toBe(1);
    expect(await revoked.closed).toMatchObject({ code: 1008 });
    await broadcast(update("31", "user"));
    expect(await kept.nextJson()).toMatchObject({ payload: '{"id":"31"}' });
  });

  it("closes the sockets it opened when the app revokes it (POST /oauth/revoke)", async () => {
    const app = await registerApp({ scopes: "read" });
    const token = await signIn(app, { scope: "read", address: "10.19.3.1" });
    const socket = await openClient({ token, via: "protocol" });
    const kept = await openClient({ path: "?stream=user" });
    const res = await request("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_id: app.client_id,
        client_secret: app.client_secret,
        token,
      }),
    });
    expect(res.status).toBe(200);
    expect(await socket.closed).toMatchObject({ code: 1008 });
    await broadcast(update("32", "user"));
    expect(await kept.nextJson()).toMatchObject({ payload: '{"id":"32"}' });
  });
});
