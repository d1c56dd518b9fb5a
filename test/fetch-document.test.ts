/**
 * How remote documents are fetched (actors, keys, notes): signed by the instance actor, with
 * the ActivityPub Accept header, within a time limit and a size cap.
 */
import { describe, expect, it } from "vitest";
import {
  AP_ACCEPT,
  FETCH_TIMEOUT_MS,
  fetchDocument,
  fetchRemote,
  MAX_DOCUMENT_BYTES,
} from "../src/outbound/fetch-document";
import { appContext, testConfig } from "./helpers";
import { received, serve } from "./support/remote";

const config = testConfig();
const remote = () => appContext();

describe("fetching a remote document", () => {
  it("is a GET signed as the instance actor, asking for ActivityPub JSON", async () => {
    const url = "https://signed.fetch.test/users/amy";
    await serve({ url, body: { id: url, type: "Person" } });
    expect(await fetchRemote(remote(), url)).toMatchObject({ ok: true, url });
    const [get] = await received("signed.fetch.test", "GET");
    expect(get?.headers.accept).toBe(AP_ACCEPT);
    expect(get?.headers.signature).toContain(`keyId="${config.urls.instance.keyId}"`);
    expect(config.urls.instance.keyId).toBe("https://outpost.test/actor#main-key");
  });

  it("gives up on a server slower than the time limit (10 s by default)", async () => {
    expect(FETCH_TIMEOUT_MS).toBe(10_000);
    const url = "https://slow.fetch.test/users/bo";
    await serve({ url, body: { id: url }, delayMs: 2_000 });
    const options = { devFederation: false, origin: config.origin };
    expect(await fetchDocument(url, { ...options, timeoutMs: 200 })).toEqual({
      ok: false,
      reason: "timeout",
    });
    expect(await fetchDocument(url, { ...options, timeoutMs: 5_000 })).toMatchObject({ ok: true });
  });

  it("counts a body that stalls past the time limit as a timeout, not an exception", async () => {
    const url = "https://stalling.fetch.test/users/cy";
    await serve({ url, body: { id: url, type: "Person" }, stallBodyMs: 2_000 });
    const options = { devFederation: false, origin: config.origin };
    expect(await fetchDocument(url, { ...options, timeoutMs: 300 })).toEqual({
      ok: false,
      reason: "timeout",
    });
  });

  it("refuses a document nested deeper than 32 levels, as unreadable as one that is not JSON", async () => {
    const url = "https://deep.fetch.test/users/di";
    const deep = `{"id":"${url}","type":"Person","x":${"[".repeat(40)}1${"]".repeat(40)}}`;
    await serve({ url, body: deep });
    const options = { devFederation: false, origin: config.origin };
    expect(await fetchDocument(url, options)).toEqual({ ok: false, reason: "notJson" });
  });

  it("refuses a document over the size cap (1 MiB)", async () => {
    expect(MAX_DOCUMENT_BYTES).toBe(1024 * 1024);
    const big = "https://big.fetch.test/users/cy";
    const small = "https://big.fetch.test/users/di";
    const padding = (n: number) => "x".repeat(n);
    await serve(
      { url: big, body: { id: big, padding: padding(MAX_DOCUMENT_BYTES) } },
      { url: small, body: { id: small, padding: padding(MAX_DOCUMENT_BYTES - 100) } },
    );
    expect(await fetchRemote(remote(), big)).toEqual({ ok: false, reason: "tooLarge" });
    expect(await fetchRemote(remote(), small)).toMatchObject({ ok: true });
  });
});
