import { describe, expect, it } from "vitest";
import { samples } from "../../test/fixtures/media";
import { MEDIA_LIMITS, processBytes, processUpload } from "./process";

describe("processUpload", () => {
  it("takes a profile picture from a File (as update_credentials hands it over)", async () => {
    const file = new File([samples.jpeg()], "me.png", { type: "image/png" });
    const processed = await processUpload(file, "avatar");
    expect(processed.ok).toBe(true);
    if (!processed.ok) return;
    expect(processed.file).toMatchObject({
      kind: "image",
      mediaType: "image/jpeg",
      width: 48,
      height: 64,
    });
    expect(processed.file.size).toBeLessThan(file.size);
  });

  it("takes only JPEG, PNG, GIF and WebP for an avatar or a header, as Mastodon", async () => {
    for (const format of ["avif", "mp4", "mp3"] as const) {
      const processed = await processUpload(new File([samples[format]()], "x"), "header");
      expect(processed).toEqual({
        ok: false,
        status: 422,
        reason: "A header must be a JPEG, PNG, GIF or WebP image",
      });
    }
  });

  it("refuses a profile picture over 2 MB unread, and an attachment by its kind's limit", async () => {
    const big = new Uint8Array(MEDIA_LIMITS.profile + 1);
    big.set(samples.png());
    expect(await processUpload(new File([big], "x.png"), "avatar")).toMatchObject({
      ok: false,
      status: 413,
    });
    expect((await processBytes(big, "attachment")).ok).toBe(true);
  });

  it("refuses a picture larger than the matrix Mastodon announces (422)", async () => {
    const png = samples.png();
    const view = new DataView(png.buffer, png.byteOffset);
    view.setUint32(16, 8000);
    view.setUint32(20, 6000);
    const processed = await processBytes(png, "attachment");
    expect(processed).toMatchObject({ ok: false, status: 422 });
    expect(processed.ok || processed.reason).toMatch(/larger than 33 megapixels/);
  });
});
