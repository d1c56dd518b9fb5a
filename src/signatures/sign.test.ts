import { describe, expect, it } from "vitest";
import { importPrivateKey } from "./algorithms";
import { fromBase64, generateRsaKeyPair } from "./keys";
import { signMessage } from "./sign";

const pair = await generateRsaKeyPair();
const key = {
  keyId: "https://outpost.test/users/owner#main-key",
  privateKey: await importPrivateKey(fromBase64(pair.privateKeyPkcs8), "rsa-v1_5-sha256"),
};
const body = new TextEncoder().encode('{"type":"Accept"}');
const message = {
  method: "POST",
  url: new URL("https://remote.test/inbox?x=1"),
  headers: new Headers({ "content-type": "application/activity+json" }),
  body,
};
const now = new Date("2026-11-24T10:00:00Z");

describe("signMessage", () => {
  it("signs a POST draft-cavage style: (request-target) host date digest content-type", async () => {
    const headers = await signMessage(message, { key, flavour: "cavage", now });
    expect(headers.get("date")).toBe("Tue, 24 Nov 2026 10:00:00 GMT");
    expect(headers.get("digest")).toMatch(/^SHA-256=[A-Za-z0-9+/]{43}=$/);
    expect(headers.get("signature")).toMatch(
      /^keyId="https:\/\/outpost\.test\/users\/owner#main-key",algorithm="rsa-sha256",headers="\(request-target\) host date digest content-type",signature="[A-Za-z0-9+/=]+"$/,
    );
    expect(headers.get("content-type")).toBe("application/activity+json");
  });

  it("signs a POST RFC 9421 style: @method @target-uri content-digest, with created, keyid and alg", async () => {
    const headers = await signMessage(message, { key, flavour: "rfc9421", now });
    expect(headers.get("content-digest")).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    expect(headers.get("signature-input")).toBe(
      `sig1=("@method" "@target-uri" "content-digest");created=${now.getTime() / 1000};keyid="${key.keyId}";alg="rsa-v1_5-sha256"`,
    );
    expect(headers.get("signature")).toMatch(/^sig1=:[A-Za-z0-9+/=]+:$/);
  });

  it("signs a GET without a digest", async () => {
    const get = {
      method: "GET",
      url: new URL("https://remote.test/users/a"),
      headers: new Headers(),
    };
    const cavage = await signMessage(get, { key, flavour: "cavage", now });
    expect(cavage.get("digest")).toBeNull();
    expect(cavage.get("signature")).toContain('headers="(request-target) host date"');
    const rfc = await signMessage(get, { key, flavour: "rfc9421", now });
    expect(rfc.get("signature-input")).toMatch(/^sig1=\("@method" "@target-uri"\);created=/);
  });
});
