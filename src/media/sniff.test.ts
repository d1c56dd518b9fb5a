import { describe, expect, it } from "vitest";
import { samples } from "../../test/fixtures/media";
import { sniff } from "./sniff";

describe("sniff", () => {
  it("knows each sample by its first bytes", () => {
    for (const [format, bytes] of Object.entries(samples)) {
      expect(sniff(bytes().subarray(0, 256)), format).toBe(format);
    }
  });
});
