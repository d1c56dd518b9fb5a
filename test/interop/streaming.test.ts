/**
 * The streaming API live, against `wrangler dev` (issue 19): masto.js's streaming client,
 * pointed where the instance document says (`configuration.urls.streaming`), receives the
 * owner's new post on `user` and a Fedify peer's mention as a notification, as they happen.
 */
import { createRestAPIClient, createStreamingAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerId } from "./outpost";
import { Peer } from "./peer";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { origin, token } = instance;

/**
 * The next event of a subscription that `wanted` matches, within `ms`: the subscription is
 * read by one loop, which hands each event to whoever waits.
 */
class Events {
  private readonly seen: mastodon.streaming.Event[] = [];
  private readonly waiters = new Set<() => void>();
  /** Why the subscription ended, if it did. */
  private ended: unknown;

  constructor(subscription: mastodon.streaming.Subscription) {
    void (async () => {
      try {
        for await (const event of subscription) {
          this.seen.push(event);
          for (const wake of this.waiters) wake();
        }
        this.ended = "closed";
      } catch (error) {
        this.ended = error;
      }
    })();
  }

  async next<E extends mastodon.streaming.Event>(
    wanted: (event: mastodon.streaming.Event) => event is E,
    ms = 15_000,
  ): Promise<E> {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.seen.findIndex(wanted);
      if (index >= 0) return this.seen.splice(index, 1)[0] as E;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no such event within ${ms} ms (ended: ${String(this.ended)})`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }
}

describe("masto.js's streaming client", () => {
  let peer: Peer;
  let rest: mastodon.rest.Client;
  let streaming: mastodon.streaming.Client;
  let events: Events;

  beforeAll(async () => {
    peer = await Peer.start({ actors: [{ username: "sol", displayName: "Sol" }] });
    rest = createRestAPIClient({ url: origin, accessToken: token });
    const { configuration } = await rest.v2.instance.fetch();
    streaming = createStreamingAPIClient({
      streamingApiUrl: configuration.urls.streaming,
      accessToken: token,
      retry: false,
      implementation: WebSocket,
    });
    events = new Events(streaming.user.subscribe());
    // The subscription is sent once the socket opens: post until a post comes back on it.
    const warm = (e: mastodon.streaming.Event): e is mastodon.streaming.UpdateEvent =>
      e.event === "update";
    for (let tries = 0; ; tries++) {
      await rest.v1.statuses.create({ status: "warming up the stream", visibility: "direct" });
      try {
        await events.next(warm, 1000);
        break;
      } catch (error) {
        if (tries === 10) throw error;
      }
    }
  });

  afterAll(async () => {
    streaming?.close();
    await peer?.close();
  });

  it("receives the owner's new post on user, as the REST API shows it", async () => {
    const posted = await rest.v1.statuses.create({ status: "Live, from the owner" });
    const event = await events.next(
      (e): e is mastodon.streaming.UpdateEvent =>
        e.event === "update" && e.payload.uri === posted.uri,
    );
    expect(event.stream).toEqual(["user"]);
    expect(event.payload.id).toBe(posted.id);
    expect(event.payload.content).toBe(posted.content);
    expect(event.payload.account.id).toBe(posted.account.id);
  });

  it("receives a Fedify peer's mention as a notification, live", async () => {
    const note = await peer.post("sol", {
      content: `<p>@owner are you there?</p>`,
      to: [ownerId],
      mention: [ownerId],
    });
    const event = await events.next(
      (e): e is mastodon.streaming.NotificationEvent =>
        e.event === "notification" && e.payload.status?.uri === note,
    );
    expect(event.payload.type).toBe("mention");
    expect(event.payload.account.acct).toBe(peer.handle("sol"));
    expect(event.payload.status?.content).toContain("are you there?");
  });
});
