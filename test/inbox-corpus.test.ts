/**
 * Every document of the shared real-world corpus (~600, from ~40 implementations), signed as
 * its actor and posted to the inbox: none may cause a 5xx. The corpus is outside this
 * repository (../shared/corpus); without it this test says so and skips.
 */
import { describe, expect, it } from "vitest";
import { idOf, isObject, type JsonObject } from "../src/activitypub/parse";
import { parseNote } from "../src/activitypub/remote-note";
import { importPrivateKey } from "../src/signatures/algorithms";
import { fromBase64, generateRsaKeyPair } from "../src/signatures/keys";
import { seedFollow } from "./helpers";
import { OWNER, RemoteActor, serve } from "./support/remote";

interface CorpusFile {
  readonly file: string;
  readonly document: unknown;
}

describe("the real-world corpus", () => {
  it("causes no 5xx at the inbox", { timeout: 120_000 }, async (context) => {
    const res = await fetch("http://fediverse.admin/corpus");
    if (res.status === 404) {
      context.skip("../shared/corpus/fixtures is not present: nothing to replay");
      return;
    }
    const corpus = (await res.json()) as CorpusFile[];
    expect(corpus.length).toBeGreaterThan(500);

    // One key for every actor of the corpus: each actor's document is served with it.
    const pair = await generateRsaKeyPair();
    const privateKey = await importPrivateKey(fromBase64(pair.privateKeyPkcs8), "rsa-v1_5-sha256");
    const actorIds = new Set<string>();
    for (const { document } of corpus) {
      if (!isObject(document)) continue;
      const actor = idOf(document.actor);
      if (actor !== undefined && /^https:\/\//.test(actor)) actorIds.add(actor);
    }
    await serve(
      ...[...actorIds].map((id) => ({
        url: id,
        body: {
          "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
          id,
          type: "Person",
          inbox: `${id}/inbox`,
          publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: pair.publicKeyPem },
        },
      })),
    );
    // The owner follows them all, so that their notes are stored rather than skipped.
    for (const id of actorIds) await seedFollow(id, OWNER);

    const signer = await RemoteActor.create({ host: "corpus.test", username: "replayer" });
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    const replay = async (file: string, document: unknown, actor: string | undefined) => {
      const keyId = actor !== undefined && actorIds.has(actor) ? `${actor}#main-key` : signer.keyId;
      const response = await signer.send(document, {
        path: "/inbox",
        signWith: {
          keyId,
          privateKey: keyId === signer.keyId ? signer.signingKey.privateKey : privateKey,
        },
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500)
        serverErrors.push(`${file}: ${response.status} ${await response.text()}`);
      else await response.body?.cancel();
      return response.status;
    };
    for (const { file, document } of corpus) {
      const object = isObject(document) ? document : undefined;
      const actor = object === undefined ? undefined : idOf(object.actor);
      const status = await replay(file, document, actor);
      // Some test assets (Lemmy's) are stripped of the @context real traffic carries:
      // replay those with it too, so that their activities reach the handlers.
      if (
        status === 400 &&
        object !== undefined &&
        actor !== undefined &&
        object["@context"] === undefined
      ) {
        await replay(
          file,
          { "@context": "https://www.w3.org/ns/activitystreams", ...object },
          actor,
        );
      }
    }
    console.info(`corpus replay: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(serverErrors).toEqual([]);
    // Most activities get through the gate and into the handlers, not only refusals.
    expect(statuses.get(202) ?? 0).toBeGreaterThan(60);
  });

  it("reads the files of its notes, bounded, in each server's shape", async (context) => {
    const res = await fetch("http://fediverse.admin/corpus");
    if (res.status === 404) {
      context.skip("../shared/corpus/fixtures is not present: nothing to read");
      return;
    }
    const corpus = (await res.json()) as CorpusFile[];
    const notes = new Map<string, NonNullable<ReturnType<typeof parseNote>>>();
    for (const { file, document } of corpus) {
      const object: unknown = isObject(document) ? (document.object ?? document) : undefined;
      const parsed = isObject(object) ? parseNote(object as JsonObject) : undefined;
      if (parsed !== undefined) notes.set(file, parsed);
    }
    const attachments = [...notes.values()].flatMap((n) => n.attachments);
    expect(attachments.length).toBeGreaterThan(20);
    for (const note of notes.values()) expect(note.attachments.length).toBeLessThanOrEqual(16);
    for (const a of attachments) {
      expect(a.url).toMatch(/^https?:\/\//);
      expect(a.name?.length ?? 0).toBeLessThanOrEqual(1500);
    }
    const first = (file: string) => notes.get(file)?.attachments[0];
    expect(first("pixelfed/vernissage-fixtures/statusCase02.json")).toMatchObject({
      type: "Image",
      blurhash: "U9AmM5?GIp9b~UNGoeRk4=E2oeax4;ofxtWB",
      width: 1620,
      height: 1080,
      name: expect.stringMatching(/^Stickers on the glass/),
    });
    expect(
      first("gotosocial/serialised-by-typeconverter/TestStatusWithTagsToASFromDB.json"),
    ).toMatchObject({
      name: "Black and white image of some 50's style text saying: Welcome On Board",
      focalPoint: [-0.5, 0.5],
    });
    expect(first("mastodon/lemmy-assets/objects__note_2.json")).toMatchObject({
      type: "Document",
      focalPoint: [0, 0],
      width: 1500,
      height: 1095,
    });
    // PeerTube: the playable MP4 of the largest height up to 720p, from the HLS playlist's tags.
    expect(first("peertube/lemmy-assets/objects__video.json")).toMatchObject({
      type: "Video",
      mediaType: "video/mp4",
      height: 360,
      url: expect.stringMatching(/-360-fragmented\.mp4$/),
    });
    expect(
      first("peertube/akkoma-fixtures/peertube__video-object-mpegURL-only.json"),
    ).toMatchObject({
      height: 720,
      url: expect.stringMatching(/-720-fragmented\.mp4$/),
    });
  });
});
