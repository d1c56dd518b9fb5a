/**
 * MP3 without its tags: the ID3v2 tags before the first frame (names, comments, pictures),
 * and the APEv2 and ID3v1 tags at the end, are cut off; the frames stay as they are. No
 * bytes are copied: the result is a view of the input.
 */
import { isMp3Frame, startsWith } from "./sniff";
import { Malformed } from "./strip-malformed";

/** The length of an ID3v2 tag at `at` (header, syncsafe size, footer), or 0 if none is there. */
function id3v2Length(bytes: Uint8Array, at: number): number {
  if (!startsWith(bytes, "ID3", at) || at + 10 > bytes.length) return 0;
  const size = [6, 7, 8, 9].reduce((n, i) => n * 128 + ((bytes[at + i] ?? 0) & 0x7f), 0);
  const footer = ((bytes[at + 5] ?? 0) & 0x10) === 0 ? 0 : 10;
  return 10 + size + footer;
}

/** The MP3's frames, without the tags around them; throws `Malformed` when no frame follows. */
export function stripMp3(bytes: Uint8Array): Uint8Array {
  let start = 0;
  for (let tag = id3v2Length(bytes, 0); tag > 0; tag = id3v2Length(bytes, start)) start += tag;
  // Some encoders pad after the tag; frames start at the first sync within a little while.
  const limit = Math.min(bytes.length, start + 4096);
  while (start < limit && !isMp3Frame(bytes, start)) start += 1;
  if (!isMp3Frame(bytes, start)) throw new Malformed("no MPEG audio frame follows the tags");
  let end = bytes.length;
  if (end - 128 >= start && startsWith(bytes, "TAG", end - 128)) end -= 128;
  if (end - 32 >= start && startsWith(bytes, "APETAGEX", end - 32)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = view.getUint32(end - 32 + 12, true);
    const header = (view.getUint32(end - 32 + 20, true) & 0x80000000) === 0 ? 0 : 32;
    if (end - size - header >= start) end -= size + header;
  }
  return bytes.subarray(start, end);
}
