import { describe, expect, it } from "vitest";
import { encodeEventTail, encodeFrame, parseClientMessage, resolveStream } from "./protocol";

const reader = { statuses: true, notifications: true };

describe("parseClientMessage", () => {
  it("reads a subscription with its parameters, the first of a list, a list id as a number", () => {
    expect(parseClientMessage('{"type":"subscribe","stream":["user","x"]}')).toEqual({
      kind: "subscribe",
      request: { stream: "user" },
    });
    expect(parseClientMessage('{"type":"unsubscribe","stream":"list","list":12}')).toEqual({
      kind: "unsubscribe",
      request: { stream: "list", list: "12" },
    });
  });

  it("ignores what is not JSON, not an object, or of another type", () => {
    expect(parseClientMessage("ping")).toEqual({ kind: "ignored", reason: "notJson" });
    expect(parseClientMessage("[]")).toEqual({ kind: "ignored", reason: "notAnObject" });
    expect(parseClientMessage('{"type":"ping"}')).toEqual({
      kind: "ignored",
      reason: "unknownType",
    });
  });
});

describe("resolveStream", () => {
  it("checks the scopes before the name, as Mastodon's checkScopes runs first", () => {
    const none = { statuses: false, notifications: false };
    expect(resolveStream({ stream: "nope" }, none)).toMatchObject({ ok: false, status: 401 });
    expect(resolveStream({ stream: "nope" }, reader)).toMatchObject({ ok: false, status: 400 });
    expect(resolveStream({ stream: "public:remote:media" }, none)).toMatchObject({ ok: true });
  });

  it("keys hashtags by their stored name and lists by their seq", () => {
    expect(resolveStream({ stream: "hashtag:local", tag: "＃Ｆｏｏ" }, reader)).toEqual({
      ok: true,
      subscription: { key: "hashtag:local:foo", label: ["hashtag:local", "＃Ｆｏｏ"] },
    });
    expect(resolveStream({ stream: "hashtag", tag: "two words" }, reader)).toMatchObject({
      ok: false,
      error: "Invalid tag name parameter",
    });
    expect(resolveStream({ stream: "list", list: "007" }, reader)).toEqual({
      ok: true,
      subscription: { key: "list:7", label: ["list", "007"] },
      listSeq: 7,
    });
  });

  it("resolves an unsubscribe without scopes", () => {
    expect(resolveStream({ stream: "user:notification" })).toMatchObject({ ok: true });
  });
});

describe("frames", () => {
  it("encode as Mastodon's, the payload a JSON string", () => {
    const tail = encodeEventTail({ streams: ["user"], event: "update", payload: '{"id":"1"}' });
    expect(JSON.parse(encodeFrame(["hashtag", "Tag"], tail))).toEqual({
      stream: ["hashtag", "Tag"],
      event: "update",
      payload: '{"id":"1"}',
    });
  });
});
