import { describe, expect, it } from "vitest";
import { checkRemoteUrl } from "./remote-url";

const prod = { devFederation: false };
const dev = { devFederation: true };

describe("checkRemoteUrl", () => {
  it("accepts public https URLs", () => {
    expect(checkRemoteUrl("https://mastodon.social/users/Gargron", prod)).toMatchObject({
      ok: true,
    });
    expect(checkRemoteUrl("https://example.com:8443/inbox", prod)).toMatchObject({ ok: true });
  });

  it.each([
    ["http://mastodon.social/inbox", "insecureScheme"],
    ["ftp://mastodon.social/inbox", "invalidUrl"],
    ["not a url", "invalidUrl"],
    ["https://user:pass@mastodon.social/inbox", "credentials"],
    ["https://localhost/inbox", "privateHost"],
    ["https://127.0.0.1/inbox", "privateHost"],
    ["https://2130706433/inbox", "privateHost"],
    ["https://0x7f.1/inbox", "privateHost"],
    ["https://10.1.2.3/inbox", "privateHost"],
    ["https://172.20.0.1/inbox", "privateHost"],
    ["https://192.168.1.1/inbox", "privateHost"],
    ["https://169.254.169.254/latest/meta-data", "privateHost"],
    ["https://100.64.0.1/", "privateHost"],
    ["https://0.0.0.0/", "privateHost"],
    ["https://[::1]/inbox", "privateHost"],
    ["https://[fd00::1]/inbox", "privateHost"],
    ["https://[fe80::1]/inbox", "privateHost"],
    ["https://[::ffff:127.0.0.1]/inbox", "privateHost"],
    ["https://printer.local/", "privateHost"],
    ["https://metadata.google.internal/", "privateHost"],
    ["https://localhost./", "privateHost"],
    ["https://foo.localhost./", "privateHost"],
    ["https://[::127.0.0.1]/", "privateHost"],
    ["https://[64:ff9b::7f00:1]/", "privateHost"],
    ["https://[2002:7f00:1::]/", "privateHost"],
    ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "privateHost"],
    ["https://[fec0::1]/", "privateHost"],
    ["https://[2001:db8::1]/", "privateHost"],
    ["https://198.18.0.1/", "privateHost"],
  ])("refuses %s without the development switch (%s)", (url, reason) => {
    expect(checkRemoteUrl(url, prod)).toEqual({ ok: false, reason });
  });

  it("with the development switch, allows plain http to loopback hosts only", () => {
    for (const url of [
      "http://localhost:8788/inbox",
      "http://127.0.0.1:9000/users/a",
      "https://localhost/x",
    ]) {
      expect(checkRemoteUrl(url, dev)).toMatchObject({ ok: true });
    }
    expect(checkRemoteUrl("http://mastodon.social/inbox", dev)).toEqual({
      ok: false,
      reason: "insecureScheme",
    });
    expect(checkRemoteUrl("https://192.168.1.1/inbox", dev)).toEqual({
      ok: false,
      reason: "privateHost",
    });
  });
});
