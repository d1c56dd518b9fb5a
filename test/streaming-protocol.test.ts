/**
 * What a socket says to the `Streaming` object and what it gets back, as Mastodon's
 * streaming server answers: subscribe and unsubscribe, hashtags and lists, the scopes each
 * stream needs, frames labelled by subscription, Mastodon's error frames, and the bounds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MAX_SOCKETS, MAX_SUBSCRIPTIONS } from "../src/streaming/object";
import { api } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { broadcast, closeAll, openClient, update } from "./support/sockets";

afterEach(closeAll);

/** An OAuth token holding `scope`, from its own address (the password limiter counts them). */
let address = 0;
async function tokenWith(scope: string): Promise<string> {
  const app = await registerApp({ scopes: "read" });
  address += 1;
  return signIn(app, { scope, address: `10.29.0.${address}` });
}

describe("subscribing", () => {
  it("stops a stream on unsubscribe, and keeps the others", async () => {
    const client = await openClient();
    client.subscribe("user");
    client.subscribe("public");
    client.send({ type: "unsubscribe", stream: "public" });
    await client.settle();
    await broadcast(update("1", "public"), update("2", "user"));
    // The public update never came: the first frame is the user's.
    expect(await client.nextJson()).toMatchObject({ stream: ["user"], payload: '{"id":"2"}' });
  });

  it("sends an event once per subscription it matches, labelled by it, never twice for one", async () => {
    const client = await openClient();
    client.subscribe("public");
    client.subscribe("public:local");
    client.subscribe("public");
    await client.settle();
    const sent = await broadcast(update("3", "public", "public:local", "public"));
    expect(sent).toBe(2);
    expect(await client.nextJson()).toMatchObject({ stream: ["public"], payload: '{"id":"3"}' });
    expect(await client.nextJson()).toMatchObject({ stream: ["public:local"] });
    await broadcast(update("4", "public:local"));
    expect(await client.nextJson()).toMatchObject({ payload: '{"id":"4"}' });
  });

  it("frames every event as Mastodon: the payload a JSON string, none for filters_changed", async () => {
    const client = await openClient({ path: "?stream=user" });
    await broadcast(
      { streams: ["user"], event: "delete", payload: "110" },
      { streams: ["user"], event: "filters_changed", payload: "" },
      { streams: ["user"], event: "notification", payload: '{"id":"5","type":"favourite"}' },
    );
    expect(await client.next()).toBe('{"stream":["user"],"event":"delete","payload":"110"}');
    expect(await client.next()).toBe('{"stream":["user"],"event":"filters_changed"}');
    expect(await client.nextJson()).toEqual({
      stream: ["user"],
      event: "notification",
      payload: '{"id":"5","type":"favourite"}',
    });
  });

  it("keys a hashtag by its stored name, and labels it as the client spelt it", async () => {
    const client = await openClient();
    client.subscribe("hashtag", { tag: "#Café" });
    client.subscribe("hashtag:local", { tag: "café" });
    await client.settle();
    await broadcast(update("6", "hashtag:café"), update("7", "hashtag:local:café"));
    expect(await client.nextJson()).toMatchObject({ stream: ["hashtag", "#Café"] });
    expect(await client.nextJson()).toMatchObject({ stream: ["hashtag:local", "café"] });
  });

  it("streams a list of the owner's, and refuses one that does not exist", async () => {
    const created = await api("/v1/lists", { body: { title: "Friends" } });
    const { id } = (await created.json()) as { id: string };
    const client = await openClient({ path: `?stream=list&list=${id}` });
    client.subscribe("list", { list: "999999" });
    expect(await client.nextJson()).toEqual({
      error: "Not authorized to stream this list",
      status: 401,
    });
    await broadcast(update("8", `list:${id}`));
    expect(await client.nextJson()).toMatchObject({ stream: ["list", id], payload: '{"id":"8"}' });
  });

  it("answers Mastodon's error frames", async () => {
    const client = await openClient();
    client.subscribe("nope");
    expect(await client.nextJson()).toEqual({ error: "Unknown stream type", status: 400 });
    client.subscribe("hashtag");
    expect(await client.nextJson()).toEqual({ error: "Missing tag name parameter", status: 400 });
    client.subscribe("list");
    expect(await client.nextJson()).toEqual({ error: "Missing list name parameter", status: 400 });
    client.send({ type: "unsubscribe", stream: "nope" });
    expect(await client.nextJson()).toEqual({ error: "Error unsubscribing from channel" });
  });

  it("ignores what is not a subscribe or an unsubscribe", async () => {
    const client = await openClient();
    for (const message of ["not json", "[1]", '{"type":"listen","stream":"user"}', "null"]) {
      client.send(message);
    }
    await client.settle();
    await broadcast(update("9", "user"));
    client.subscribe("user");
    await client.settle();
    await broadcast(update("10", "user"));
    expect(await client.nextJson()).toMatchObject({ payload: '{"id":"10"}' });
  });
});

describe("scopes", () => {
  it("lets read:notifications have notifications and the public streams, not the home stream", async () => {
    const client = await openClient({ token: await tokenWith("read:notifications") });
    client.subscribe("user");
    expect(await client.nextJson()).toEqual({
      error: "Access token does not have the required scopes",
      status: 401,
    });
    client.subscribe("user:notification");
    client.subscribe("public");
    await client.settle();
    await broadcast(
      { streams: ["user", "user:notification"], event: "notification", payload: "{}" },
      update("11", "public"),
    );
    expect(await client.nextJson()).toMatchObject({ stream: ["user:notification"] });
    expect(await client.nextJson()).toMatchObject({ stream: ["public"] });
  });

  it("gives read:statuses the home stream without its notifications", async () => {
    const client = await openClient({ token: await tokenWith("read:statuses"), via: "protocol" });
    client.subscribe("user");
    client.subscribe("user:notification");
    expect(await client.nextJson()).toMatchObject({ status: 401 });
    await broadcast(
      { streams: ["user", "user:notification"], event: "notification", payload: "{}" },
      update("12", "user"),
    );
    expect(await client.nextJson()).toMatchObject({ event: "update", payload: '{"id":"12"}' });
  });
});

describe("bounds", () => {
  it("closes a socket that sends binary (1003) or too long a message (1009)", async () => {
    const binary = await openClient();
    binary.send(new Uint8Array([1, 2, 3]));
    expect(await binary.closed).toMatchObject({ code: 1003 });
    const long = await openClient();
    long.send(JSON.stringify({ type: "subscribe", stream: "user", pad: "x".repeat(5000) }));
    expect(await long.closed).toMatchObject({ code: 1009 });
  });

  it(`keeps at most ${MAX_SUBSCRIPTIONS} subscriptions a socket`, async () => {
    const client = await openClient();
    for (let i = 0; i <= MAX_SUBSCRIPTIONS; i++) client.subscribe("hashtag", { tag: `t${i}` });
    expect(await client.nextJson()).toEqual({ error: "Too many subscriptions", status: 400 });
    await broadcast(
      update("13", `hashtag:t${MAX_SUBSCRIPTIONS - 1}`, `hashtag:t${MAX_SUBSCRIPTIONS}`),
    );
    expect(await client.nextJson()).toMatchObject({ payload: '{"id":"13"}' });
    await client.settle();
  });

  it(`keeps at most ${MAX_SOCKETS} sockets, closing the oldest`, { timeout: 30_000 }, async () => {
    const first = await openClient();
    const rest = [];
    for (let i = 1; i < MAX_SOCKETS; i++) rest.push(await openClient());
    const newest = await openClient({ path: "?stream=user" });
    expect(await first.closed).toMatchObject({ code: 1008, reason: "too many connections" });
    await broadcast(update("15", "user"));
    expect(await newest.nextJson()).toMatchObject({ payload: '{"id":"15"}' });
  });
});
