/** Reading remote public keys: every format servers publish, and nothing that is not one. */
import { describe, expect, it } from "vitest";
import { fromBase64, generateRsaKeyPair, parsePublicKeyPem, toPem } from "./keys";

const { publicKeyPem } = await generateRsaKeyPair();
const spkiBase64 = publicKeyPem.split("\n").slice(1, -2).join("");

describe("parsePublicKeyPem", () => {
  it("reads an SPKI key, with or without line breaks, amid other text", () => {
    expect(parsePublicKeyPem(publicKeyPem)?.kind).toBe("rsa");
    const oneLine = `-----BEGIN PUBLIC KEY-----${spkiBase64}-----END PUBLIC KEY-----`;
    expect(parsePublicKeyPem(oneLine)?.spki).toEqual(fromBase64(spkiBase64));
    expect(parsePublicKeyPem(`junk -----BEGIN CERTIFICATE-----\n${publicKeyPem}`)?.kind).toBe(
      "rsa",
    );
  });

  it("wraps a PKCS#1 RSA key into SPKI", () => {
    // The SPKI of an RSA key ends with its PKCS#1 form, in a bit string after 24 bytes.
    const pkcs1 = fromBase64(spkiBase64).subarray(24);
    const info = parsePublicKeyPem(toPem("RSA PUBLIC KEY", pkcs1));
    expect(info?.kind).toBe("rsa");
    expect(info?.spki).toEqual(fromBase64(spkiBase64));
  });

  it("refuses a block whose end does not match its beginning, and garbage", () => {
    expect(parsePublicKeyPem(publicKeyPem.replace("END PUBLIC", "END RSA PUBLIC"))).toBeUndefined();
    expect(parsePublicKeyPem("-----BEGIN PUBLIC KEY-----!!!-----END PUBLIC KEY-----")).toBe(
      undefined,
    );
    expect(parsePublicKeyPem("")).toBeUndefined();
  });

  // The length cap (next test) is what protects the isolate, decided before any reading.
  // (A regular expression with a lazy group and a back-reference took about 9 s on this
  // one, quadratic in the number of BEGIN lines, and blocked every other request meanwhile.)
  it("finds no key in a 900 kB document of repeated BEGIN lines", () => {
    const hostile = "-----BEGIN PUBLIC KEY-----\n".repeat(34_000);
    expect(hostile.length).toBeGreaterThan(900_000);
    expect(parsePublicKeyPem(hostile)).toBeUndefined();
  });

  it("refuses anything longer than a key can be, even with a key at its start", () => {
    expect(parsePublicKeyPem(`${publicKeyPem}${" ".repeat(8 * 1024)}`)).toBeUndefined();
  });

  it("finds no key in BEGIN lines without an end, under the cap", () => {
    const repeated = "-----BEGIN RSA PUBLIC KEY-----".repeat(260);
    expect(repeated.length).toBeLessThan(8 * 1024);
    expect(parsePublicKeyPem(repeated)).toBeUndefined();
    expect(parsePublicKeyPem("-----BEGIN ".repeat(700))).toBeUndefined();
    expect(parsePublicKeyPem(`-----BEGIN PUBLIC KEY-----${spkiBase64}`)).toBeUndefined();
  });
});
