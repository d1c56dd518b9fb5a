/**
 * The owner's streaming sockets (Mastodon's `/api/v1/streaming`), in one Durable Object
 * (`idFromName("owner")`). The Worker checks the token and hands the upgrade here
 * (`connectSocket`); the object accepts the socket with the WebSocket Hibernation API, so an
 * idle connection costs nothing: each socket's grants and subscriptions live in its
 * attachment, not in memory, and a `{"type":"ping"}` is answered by the runtime without
 * waking the object. The code that stores things tells it what changed (`changed`, through
 * `streamNow`); it makes the events its sockets listen to, and `broadcast`s them.
 *
 * A socket is tagged with its token (`token:<seq>`, or `token:owner` for `OWNER_TOKEN`), so
 * that `closeToken` can close what a revoked token opened.
 */
import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import { createPlatform, type Platform } from "../context";
import { type Config, type ConfigResult, parseConfig } from "../env";
import { counted, recorder } from "../metrics/recorder";
import { findList } from "../storage/lists";
import type { StreamChange } from "./changes";
import { streamEvents } from "./events";
import {
  encodeEventTail,
  encodeFrame,
  errorFrame,
  MAX_MESSAGE_CHARS,
  parseClientMessage,
  resolveStream,
  type StreamGrants,
  type StreamRequest,
  type Subscription,
  sameSubscription,
} from "./protocol";
import { type Listening, mayReach, NOTIFICATION_STREAMS } from "./routing";
import { streamingObject } from "./send";
import type { StreamEvent } from "./types";

/** The most sockets the owner may hold open; a new one past it closes the oldest. */
export const MAX_SOCKETS = 64;
/** The most subscriptions one socket may hold. */
export const MAX_SUBSCRIPTIONS = 16;
/** The most events one `broadcast` takes, and the most streams one event names. */
export const MAX_EVENTS = 100;
const MAX_STREAMS_PER_EVENT = 64;
/** A socket's attachment must stay under the runtime's 2,048 bytes; this leaves room. */
const MAX_ATTACHMENT_BYTES = 1800;
/** The most a frame may weigh (the runtime's limit on a WebSocket message is 1 MiB). */
const MAX_FRAME_CHARS = 512 * 1024;

/** Answered by the runtime itself, without waking the object. */
export const PING = '{"type":"ping"}';
export const PONG = '{"type":"pong"}';

/** What the Worker grants a socket once it has checked the token; travels in a header. */
export interface SocketGrant extends StreamGrants {
  /** The OAuth token's seq, or null for `OWNER_TOKEN`. */
  readonly token: number | null;
  /** The `Sec-WebSocket-Protocol` the client offered, echoed on the 101. */
  readonly protocol?: string;
  /** A stream to subscribe at once (the upgrade request's `stream`, `tag`, `list`). */
  readonly initial?: StreamRequest;
}

const GRANT_HEADER = "X-Outpost-Socket-Grant";

const Param = v.optional(v.pipe(v.string(), v.maxLength(200)));
const SocketGrantSchema = v.object({
  token: v.nullable(v.pipe(v.number(), v.safeInteger())),
  statuses: v.boolean(),
  notifications: v.boolean(),
  protocol: Param,
  initial: v.optional(
    v.object({ stream: v.pipe(v.string(), v.maxLength(200)), tag: Param, list: Param }),
  ),
});

/** What each socket keeps through hibernation (`serializeAttachment`). */
interface SocketState {
  readonly v: 1;
  /** When it connected (ms): the oldest is closed first when there are too many. */
  readonly at: number;
  readonly grants: StreamGrants;
  readonly subscriptions: readonly Subscription[];
}

const tokenTag = (token: number | null): string => `token:${token ?? "owner"}`;

/** The object's open sockets (one being closed is still listed until it is gone). */
function openSockets(ctx: DurableObjectState, tag?: string): WebSocket[] {
  return ctx.getWebSockets(tag).filter((ws) => ws.readyState === WebSocket.OPEN);
}

function stateOf(ws: WebSocket): SocketState | undefined {
  const state = ws.deserializeAttachment() as SocketState | null;
  return state?.v === 1 ? state : undefined;
}

function attachmentFits(state: SocketState): boolean {
  return new TextEncoder().encode(JSON.stringify(state)).byteLength <= MAX_ATTACHMENT_BYTES;
}

/** Sends without throwing: a socket may be closing while an event goes out. */
function trySend(ws: WebSocket, text: string): boolean {
  try {
    ws.send(text);
    return true;
  } catch {
    return false;
  }
}

function tryClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Closed already.
  }
}

/** The streams open sockets subscribe to, and whether one allowed notifications listens. */
function listeningOf(open: readonly { readonly state: SocketState }[]): Listening {
  const streams = new Set<string>();
  let notifications = false;
  for (const { state } of open) {
    for (const { key } of state.subscriptions) {
      streams.add(key);
      if (state.grants.notifications && NOTIFICATION_STREAMS.includes(key)) notifications = true;
    }
  }
  return { streams, notifications };
}

/**
 * An event's frames by label, each made once (however many sockets take it); undefined, and
 * logged once, for one too large to send.
 */
function framesOf(event: StreamEvent): (label: readonly string[]) => string | undefined {
  const tail = encodeEventTail(event);
  const frames = new Map<string, string | undefined>();
  return (label) => {
    const key = JSON.stringify(label);
    if (frames.has(key)) return frames.get(key);
    let frame: string | undefined = encodeFrame(label, tail);
    if (frame.length > MAX_FRAME_CHARS) {
      console.warn(`streaming: ${event.event} frame too large (${frame.length} chars)`);
      frame = undefined;
    }
    frames.set(key, frame);
    return frame;
  };
}

/**
 * Hands an upgrade request, its token already checked, to the object: the answer is the
 * 101 with the client's end of the socket. (A socket cannot travel over RPC, so this is the
 * one call made through `fetch`; the token itself never leaves the Worker.)
 */
export function connectSocket(
  namespace: DurableObjectNamespace<Streaming>,
  grant: SocketGrant,
): Promise<Response> {
  return streamingObject(namespace).fetch("https://streaming.internal/connect", {
    headers: { Upgrade: "websocket", [GRANT_HEADER]: JSON.stringify(grant) },
  });
}

/**
 * No `webSocketClose`: from the compatibility date 2026-04-07 the runtime answers a client's
 * Close frame itself, and a closed socket leaves `getWebSockets()` with its attachment.
 */
export class Streaming extends DurableObject<Env> {
  private readonly platform: Pick<Platform, "db" | "now">;
  private parsed: ConfigResult | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.platform = createPlatform(env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Accepts a socket the Worker has authenticated (`connectSocket`); nothing else. */
  override async fetch(request: Request): Promise<Response> {
    return counted(this.env, this.ctx, () => this.accept(request));
  }

  private async accept(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ error: "expected a WebSocket upgrade" }, { status: 426 });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(request.headers.get(GRANT_HEADER) ?? "");
    } catch {
      raw = undefined;
    }
    const parsed = v.safeParse(SocketGrantSchema, raw);
    if (!parsed.success) return Response.json({ error: "no socket grant" }, { status: 400 });
    const grant = parsed.output;

    this.makeRoom();
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [tokenTag(grant.token)]);
    const state: SocketState = {
      v: 1,
      at: this.platform.now().getTime(),
      grants: { statuses: grant.statuses, notifications: grant.notifications },
      subscriptions: [],
    };
    server.serializeAttachment(state);
    recorder().inc("outpost_streaming_connections_total");
    if (grant.initial !== undefined) await this.subscribe(server, grant.initial);
    const headers: HeadersInit =
      grant.protocol === undefined ? {} : { "Sec-WebSocket-Protocol": grant.protocol };
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /**
   * Sends each event to every socket subscribed to one of its streams, as Mastodon does: one
   * frame per matching subscription, labelled with it (a client that multiplexes streams on
   * one socket routes frames by that label), never twice for the same subscription. A
   * socket whose token lacks `read:notifications` gets no `notification`. Returns the frames
   * sent.
   */
  async broadcast(events: readonly StreamEvent[]): Promise<number> {
    return counted(this.env, this.ctx, async () => this.send(events));
  }

  /** `broadcast`'s work, within a call already counted. */
  private send(events: readonly StreamEvent[]): number {
    const open = this.sockets();
    if (open.length === 0) return 0;
    let sent = 0;
    for (const event of events.slice(0, MAX_EVENTS)) {
      const keys = new Set(event.streams.slice(0, MAX_STREAMS_PER_EVENT));
      // Each frame is made once, for every socket whose subscription has its label.
      const frameOf = framesOf(event);
      for (const { ws, state } of open) {
        if (event.event === "notification" && !state.grants.notifications) continue;
        for (const subscription of state.subscriptions) {
          if (!keys.has(subscription.key)) continue;
          const frame = frameOf(subscription.label);
          if (frame === undefined) break;
          if (trySend(ws, frame)) sent += 1;
        }
      }
    }
    recorder().inc("outpost_streaming_frames_total", {}, sent);
    return sent;
  }

  /** The open sockets, each with its state (a socket without one is left out). */
  private sockets(): { ws: WebSocket; state: SocketState }[] {
    return openSockets(this.ctx).flatMap((ws) => {
      const state = stateOf(ws);
      return state === undefined ? [] : [{ ws, state }];
    });
  }

  /**
   * What the Worker tells once a batch is committed (`streamNow`): the events of `changes`
   * that some open socket listens to, made here (read from D1 and serialised as the REST API
   * does) and broadcast. With no socket open, or none listening where a change could show,
   * nothing is read: a write costs this one call. Never throws: what cannot be made is
   * logged and counted. Returns the events made and the frames sent.
   */
  async changed(changes: readonly StreamChange[]): Promise<{ made: number; sent: number }> {
    return counted(this.env, this.ctx, async () => {
      const listening = listeningOf(this.sockets());
      const wanted = changes.slice(0, MAX_EVENTS).filter((c) => mayReach(c, listening));
      if (wanted.length === 0) return { made: 0, sent: 0 };
      const config = this.config();
      if (config === undefined) return { made: 0, sent: 0 };
      let events: StreamEvent[];
      try {
        events = await streamEvents({ ...this.platform, config }, wanted);
      } catch (error) {
        recorder().inc("outpost_streaming_event_errors_total");
        console.warn(`streaming: no events: ${error instanceof Error ? error.message : "error"}`);
        return { made: 0, sent: 0 };
      }
      // To the sockets open now: one may have come or gone while the events were made.
      return { made: events.length, sent: this.send(events) };
    });
  }

  /** The configuration events are made with; undefined (logged) when the vars are wrong. */
  private config(): Config | undefined {
    if (this.parsed === undefined) {
      this.parsed = parseConfig(this.env);
      if (!this.parsed.ok) console.warn(`streaming: vars: ${this.parsed.errors.join("; ")}`);
    }
    return this.parsed.ok ? this.parsed.config : undefined;
  }

  /** Closes the sockets a token opened (`null`: `OWNER_TOKEN`), once it is revoked. */
  async closeToken(token: number | null): Promise<number> {
    const sockets = openSockets(this.ctx, tokenTag(token));
    for (const ws of sockets) tryClose(ws, 1008, "access token revoked");
    return sockets.length;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") {
      // Mastodon's streaming server speaks text only.
      tryClose(ws, 1003, "binary messages are not supported");
      return;
    }
    if (message.length > MAX_MESSAGE_CHARS) {
      tryClose(ws, 1009, "message too big");
      return;
    }
    const parsed = parseClientMessage(message);
    if (parsed.kind === "subscribe") await this.subscribe(ws, parsed.request);
    else if (parsed.kind === "unsubscribe") this.unsubscribe(ws, parsed.request);
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    console.warn(`streaming: socket error: ${error instanceof Error ? error.message : "error"}`);
  }

  private async subscribe(ws: WebSocket, request: StreamRequest): Promise<void> {
    const before = stateOf(ws);
    if (before === undefined) return;
    const resolution = resolveStream(request, before.grants);
    if (!resolution.ok) {
      trySend(ws, errorFrame(resolution.error, resolution.status));
      return;
    }
    const { subscription, listSeq } = resolution;
    if (listSeq !== undefined && (await findList(this.platform.db, listSeq)) === undefined) {
      trySend(ws, errorFrame("Not authorized to stream this list", 401));
      return;
    }
    // Read again: another message of this socket may have changed it during the lookup.
    const state = stateOf(ws);
    if (state === undefined) return;
    if (state.subscriptions.some((s) => sameSubscription(s, subscription))) return;
    const next: SocketState = { ...state, subscriptions: [...state.subscriptions, subscription] };
    if (next.subscriptions.length > MAX_SUBSCRIPTIONS || !attachmentFits(next)) {
      trySend(ws, errorFrame("Too many subscriptions", 400));
      return;
    }
    ws.serializeAttachment(next);
  }

  private unsubscribe(ws: WebSocket, request: StreamRequest): void {
    const state = stateOf(ws);
    const resolution = resolveStream(request);
    if (state === undefined) return;
    if (!resolution.ok) {
      trySend(ws, errorFrame("Error unsubscribing from channel"));
      return;
    }
    const { subscription } = resolution;
    // The very subscription if there is one; else every one of the stream (Mastodon's).
    const exact = state.subscriptions.some((s) => sameSubscription(s, subscription));
    const subscriptions = state.subscriptions.filter((s) =>
      exact ? !sameSubscription(s, subscription) : s.key !== subscription.key,
    );
    ws.serializeAttachment({ ...state, subscriptions });
  }

  /** Closes the oldest sockets while there are `MAX_SOCKETS` or more. */
  private makeRoom(): void {
    const sockets = openSockets(this.ctx);
    if (sockets.length < MAX_SOCKETS) return;
    const byAge = sockets
      .map((ws) => ({ ws, at: stateOf(ws)?.at ?? 0 }))
      .sort((a, b) => a.at - b.at);
    for (const { ws } of byAge.slice(0, sockets.length - MAX_SOCKETS + 1)) {
      tryClose(ws, 1008, "too many connections");
    }
  }
}
