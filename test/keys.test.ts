import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ensureLocalActor } from "../src/storage/local-actors";
import { localActors } from "../src/storage/schema";
import { BROWSER, db, get, getJson, seedNote } from "./helpers";

type Actor = { publicKey: { publicKeyPem: string } };

const storedOwner = () => db().select().from(localActors).where(eq(localActors.role, "owner"));

describe("the owner's key pair", () => {
  it("is created once when two first requests race", async () => {
    expect(await storedOwner()).toEqual([]);
    const [a, b] = await Promise.all([
      getJson<Actor>("/users/owner"),
      getJson<Actor>("/users/owner"),
    ]);
    expect(a.publicKey.publicKeyPem).toBe(b.publicKey.publicKeyPem);
    const rows = await storedOwner();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.publicKeyPem).toBe(a.publicKey.publicKeyPem);
  });

  it("is the one every concurrent caller gets, and is never regenerated", async () => {
    const before = await storedOwner();
    const states = await Promise.all(
      Array.from({ length: 5 }, () => ensureLocalActor(db(), { role: "owner", now: new Date() })),
    );
    const after = await storedOwner();
    expect(new Set(states.map((s) => s.publicKeyPem)).size).toBe(1);
    expect(after).toEqual(before);
    expect((await getJson<Actor>("/users/owner")).publicKey.publicKeyPem).toBe(
      before[0]?.publicKeyPem,
    );
  });

  it("is created race-safely for the instance actor too, as a different pair", async () => {
    const results = await Promise.all(
      Array.from({ length: 3 }, () =>
        ensureLocalActor(db(), { role: "instance", now: new Date() }),
      ),
    );
    expect(new Set(results.map((s) => s.publicKeyPem)).size).toBe(1);
    const rows = await db().select().from(localActors);
    expect(rows.map((r) => r.role).sort()).toEqual(["instance", "owner"]);
    expect(rows[0]?.privateKeyPkcs8).not.toBe(rows[1]?.privateKeyPkcs8);
  });

  it("stores a private key that signs what the published public key verifies", async () => {
    const [row] = await storedOwner();
    if (row === undefined) throw new Error("no owner row");
    const der = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      der(row.privateKeyPkcs8),
      alg,
      false,
      ["sign"],
    );
    const spki = der(row.publicKeyPem.replace(/-----[A-Z ]+-----|\n/g, ""));
    const publicKey = await crypto.subtle.importKey("spki", spki, alg, false, ["verify"]);
    const data = new TextEncoder().encode("hello");
    const signature = await crypto.subtle.sign(alg, privateKey, data);
    expect(await crypto.subtle.verify(alg, publicKey, signature, data)).toBe(true);
  });
});

describe("the private key never leaves the server", () => {
  afterEach(() => vi.restoreAllMocks());

  it("appears in no response and no log line of any endpoint", async () => {
    const { slug } = await seedNote({ pinned: true });
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      });
    }
    const paths = [
      "/users/owner",
      "/actor",
      "/@owner",
      "/.well-known/webfinger?resource=acct:owner@outpost.test",
      "/.well-known/host-meta",
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/nodeinfo/2.1",
      "/users/owner/outbox?page=true",
      "/users/owner/followers?page=true",
      "/users/owner/following?page=true",
      "/users/owner/featured?page=true",
      `/users/owner/statuses/${slug}`,
      `/users/owner/statuses/${slug}/activity`,
      "/no/such/route",
    ];
    const bodies: string[] = [];
    for (const path of paths) {
      for (const accept of ["application/activity+json", BROWSER]) {
        const res = await get(path, accept);
        bodies.push(await res.text(), JSON.stringify([...res.headers]));
      }
    }
    const rows = await db().select().from(localActors);
    expect(rows).toHaveLength(2);
    const everything = [...bodies, ...logged].join("\n");
    expect(everything).toContain(rows[0]?.publicKeyPem.split("\n")[1]);
    expect(everything).not.toContain("PRIVATE KEY");
    for (const row of rows) {
      // Any 40-character slice of the key material would be a leak; check a few.
      for (const start of [0, 100, 500, row.privateKeyPkcs8.length - 40]) {
        expect(everything).not.toContain(row.privateKeyPkcs8.slice(start, start + 40));
      }
    }
  });
});
