import { describe, expect, it } from "vitest";
import { type Config, isLoopbackHostname, parseConfig } from "./env";

const base = { PUBLIC_ORIGIN: "https://social.example" };

function ok(vars: Record<string, string>): Config {
  const result = parseConfig(vars);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.config;
}

function errors(vars: Record<string, string>): string {
  const result = parseConfig(vars);
  if (result.ok) throw new Error("expected a configuration error");
  return result.errors.join("; ");
}

describe("parseConfig", () => {
  it("fills sane defaults around the origin", () => {
    const config = ok(base);
    expect(config.origin).toBe("https://social.example");
    expect(config.host).toBe("social.example");
    expect(config.owner).toMatchObject({
      username: "owner",
      displayName: "owner",
      summary: "",
      fields: [],
      alsoKnownAs: [],
      manuallyApprovesFollowers: false,
      discoverable: true,
      indexable: false,
    });
    expect(config.devFederation).toBe(false);
    expect(config.retryBaseMs).toBe(8_000);
    expect(config.ownerToken).toBeUndefined();
    expect(config.urls.owner.id).toBe("https://social.example/users/owner");
  });

  it("normalises the origin and keeps a port in the host", () => {
    const config = ok({ PUBLIC_ORIGIN: " HTTPS://Social.Example:8443/ " });
    expect(config.origin).toBe("https://social.example:8443");
    expect(config.host).toBe("social.example:8443");
    expect(ok({ PUBLIC_ORIGIN: "https://social.example:443" }).origin).toBe(
      "https://social.example",
    );
  });

  it.each([
    ["", /not set/],
    ["social.example", /bare origin/],
    ["https://social.example/outpost", /bare origin/],
    ["https://social.example?x=1", /bare origin/],
    ["https://user:pw@social.example", /bare origin/],
    ["http://social.example", /https/],
  ])("rejects PUBLIC_ORIGIN %j", (origin, message) => {
    expect(errors({ PUBLIC_ORIGIN: origin })).toMatch(message);
  });

  it("allows plain http only on loopback origins", () => {
    expect(ok({ PUBLIC_ORIGIN: "http://localhost:8787" }).origin).toBe("http://localhost:8787");
    expect(ok({ PUBLIC_ORIGIN: "http://127.0.0.1:8788" }).origin).toBe("http://127.0.0.1:8788");
  });

  it("allows DEV_FEDERATION only with a loopback origin", () => {
    expect(
      ok({ PUBLIC_ORIGIN: "http://localhost:8787", DEV_FEDERATION: "true" }).devFederation,
    ).toBe(true);
    expect(errors({ ...base, DEV_FEDERATION: "true" })).toMatch(/DEV_FEDERATION/);
    expect(errors({ ...base, DEV_FEDERATION: "yes" })).toMatch(/DEV_FEDERATION must be/);
  });

  it("shortens the delivery backoff with DEV_RETRY_BASE_MS on a development instance", () => {
    const dev = { PUBLIC_ORIGIN: "http://localhost:8787", DEV_FEDERATION: "true" };
    expect(ok({ ...dev, DEV_RETRY_BASE_MS: "1000" }).retryBaseMs).toBe(1000);
    expect(ok({ ...dev, DEV_RETRY_BASE_MS: " 250 " }).retryBaseMs).toBe(250);
    expect(ok({ ...dev, DEV_RETRY_BASE_MS: "" }).retryBaseMs).toBe(8_000);
  });

  it("refuses DEV_RETRY_BASE_MS without DEV_FEDERATION", () => {
    expect(errors({ ...base, DEV_RETRY_BASE_MS: "1000" })).toMatch(
      /DEV_RETRY_BASE_MS is only allowed with DEV_FEDERATION/,
    );
    expect(
      errors({
        PUBLIC_ORIGIN: "http://localhost:8787",
        DEV_FEDERATION: "false",
        DEV_RETRY_BASE_MS: "1000",
      }),
    ).toMatch(/only allowed with DEV_FEDERATION/);
  });

  it.each(["0", "-5", "1.5", "1e3", "fast", "0x10", "99999999999999999999"])(
    "refuses DEV_RETRY_BASE_MS %j",
    (value) => {
      const dev = { PUBLIC_ORIGIN: "http://localhost:8787", DEV_FEDERATION: "true" };
      expect(errors({ ...dev, DEV_RETRY_BASE_MS: value })).toMatch(
        /DEV_RETRY_BASE_MS must be a positive whole number/,
      );
    },
  );

  it("refuses a DEV_RETRY_BASE_MS longer than the deployed base: it only shortens", () => {
    const dev = { PUBLIC_ORIGIN: "http://localhost:8787", DEV_FEDERATION: "true" };
    expect(errors({ ...dev, DEV_RETRY_BASE_MS: "8001" })).toMatch(/may not exceed 8000/);
    expect(ok({ ...dev, DEV_RETRY_BASE_MS: "8000" }).retryBaseMs).toBe(8_000);
  });

  it("reads the owner's profile", () => {
    const config = ok({
      ...base,
      OWNER_USERNAME: "alice_1",
      OWNER_DISPLAY_NAME: "Alice",
      OWNER_SUMMARY: "Hi.",
      OWNER_AVATAR_URL: "https://social.example/media/avatar.png",
      OWNER_FIELDS: '[{"name":"Site","value":"https://alice.example"}]',
      OWNER_ALSO_KNOWN_AS: "https://old.example/users/alice, https://older.example/@alice",
      OWNER_MOVED_TO: "",
      OWNER_MANUALLY_APPROVES_FOLLOWERS: "true",
      OWNER_TOKEN: "secret",
    });
    expect(config.owner).toMatchObject({
      username: "alice_1",
      displayName: "Alice",
      fields: [{ name: "Site", value: "https://alice.example" }],
      alsoKnownAs: ["https://old.example/users/alice", "https://older.example/@alice"],
      manuallyApprovesFollowers: true,
    });
    expect(config.ownerToken).toBe("secret");
    expect(config.urls.owner.id).toBe("https://social.example/users/alice_1");
  });

  it.each([
    [{ OWNER_USERNAME: "has space" }, /OWNER_USERNAME/],
    [{ OWNER_USERNAME: "x".repeat(31) }, /OWNER_USERNAME/],
    [{ OWNER_USERNAME: "social", PUBLIC_ORIGIN: "https://social" }, /differ from the host/],
    [{ OWNER_FIELDS: "{" }, /OWNER_FIELDS must be JSON/],
    [{ OWNER_FIELDS: '[{"name":1}]' }, /OWNER_FIELDS/],
    [{ OWNER_AVATAR_URL: "javascript:alert(1)" }, /OWNER_AVATAR_URL/],
    [{ OWNER_MOVED_TO: "not a url" }, /OWNER_MOVED_TO/],
    [{ OWNER_INDEXABLE: "maybe" }, /OWNER_INDEXABLE/],
  ])("rejects %j", (vars, message) => {
    expect(errors({ ...base, ...vars })).toMatch(message);
  });
});

describe("isLoopbackHostname", () => {
  it.each(["localhost", "LOCALHOST", "outpost.localhost", "127.0.0.1", "127.1.2.3", "[::1]"])(
    "%s is loopback",
    (h) => {
      expect(isLoopbackHostname(h)).toBe(true);
    },
  );
  it.each(["example.com", "localhost.example.com", "10.0.0.1", "128.0.0.1", "[::2]"])(
    "%s is not",
    (h) => {
      expect(isLoopbackHostname(h)).toBe(false);
    },
  );
});
