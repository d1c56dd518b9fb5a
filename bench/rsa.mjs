/** The benchmarks' RSA keys, on the platform's Web Crypto (Node's and workerd's alike). */

/** A fresh RSA-2048 key pair (RSASSA-PKCS1-v1_5, SHA-256), as Mastodon and Outpost use. */
export function rsa2048(extractable = true) {
  return crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    extractable,
    ["sign", "verify"],
  );
}
