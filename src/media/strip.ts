/**
 * An upload without the metadata its format carries (Exif and its GPS above all), never
 * re-encoded: each format's walker keeps what draws the picture or plays the sound and
 * leaves out, or blanks in place, what tells of the owner. Ogg's Vorbis comments stay (a
 * page rewrite with new checksums, for tags that recorders rarely fill).
 */
import type { Format } from "./sniff";
import { stripMp3 } from "./strip-audio";
import { stripGif, stripPng, stripWebp } from "./strip-images";
import { stripIsoBmff } from "./strip-isobmff";
import { stripJpeg } from "./strip-jpeg";
import { walking } from "./strip-malformed";
import { stripWebm } from "./strip-webm";

export interface Stripped {
  readonly bytes: Uint8Array;
  /** The Exif orientation of a JPEG (1 to 8, kept in the file); 1 for everything else. */
  readonly orientation: number;
  /** A JPEG's Exif thumbnail, read before the Exif was dropped. */
  readonly thumbnail?: Uint8Array;
}

/**
 * The file without its metadata. MP4, AVIF and WebM are changed in place (`bytes` is the
 * caller's to give up); the others are copied or viewed. Throws `Malformed`.
 */
export function stripMetadata(format: Format, bytes: Uint8Array): Stripped {
  return walking(() => {
    const plain = (stripped: Uint8Array) => ({ bytes: stripped, orientation: 1 });
    switch (format) {
      case "jpeg":
        return stripJpeg(bytes);
      case "png":
        return plain(stripPng(bytes));
      case "gif":
        return plain(stripGif(bytes));
      case "webp":
        return plain(stripWebp(bytes));
      case "avif":
        return plain(stripIsoBmff(bytes, true));
      case "mp4":
        return plain(stripIsoBmff(bytes, false));
      case "webm":
        return plain(stripWebm(bytes));
      case "mp3":
        return plain(stripMp3(bytes));
      case "ogg":
        return plain(bytes);
    }
  });
}
