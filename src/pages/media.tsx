/**
 * A note's files on a page. The owner's, served from our `/media/`, are shown: pictures as
 * `<img>` with their alt text and size, video and audio with the browser's own controls (no
 * script). A remote note's files stay where they are, linked, never embedded: a visitor's
 * browser does not ask another server for anything this page did not make.
 */
import { attachmentTypeOf } from "../mastodon/media";
import type { NoteAttachment } from "../storage/schema";
import { safeHref } from "./text";

export interface AttachmentsProps {
  readonly attachments: readonly NoteAttachment[];
  /** Our origin: files under its `/media/` are ours. */
  readonly origin: string;
  /** Marked sensitive (and not already behind a content warning): folded behind a click. */
  readonly sensitive: boolean;
}

const LABELS = {
  image: "Image",
  gifv: "Animation",
  video: "Video",
  audio: "Audio",
  unknown: "File",
} as const;

function Attachment(props: { readonly file: NoteAttachment; readonly origin: string }) {
  const { file } = props;
  const type = attachmentTypeOf(file.mediaType, file.type);
  const alt = file.name ?? "";
  const href = safeHref(file.url);
  if (href === undefined) return null;
  if (!href.startsWith(`${props.origin}/media/`)) {
    return (
      <p>
        <a href={href} rel="nofollow noopener noreferrer">
          {LABELS[type]}
          {alt === "" ? "" : `: ${alt}`}
        </a>
      </p>
    );
  }
  const size = { width: file.width, height: file.height };
  switch (type) {
    case "image":
      return (
        <a href={href}>
          <img src={href} alt={alt} {...size} decoding="async" />
        </a>
      );
    case "video":
      return (
        <video src={href} controls preload="metadata" title={alt || undefined} {...size}>
          <a href={href}>{alt || "The video"}</a>
        </video>
      );
    case "gifv":
      // Mastodon's animated picture: a silent video that plays in a loop.
      return (
        <video src={href} autoplay loop muted playsinline title={alt || undefined} {...size}>
          <a href={href}>{alt || "The animation"}</a>
        </video>
      );
    case "audio":
      return (
        // biome-ignore lint/a11y/useMediaCaption: an upload has no captions; its alt text is the title
        <audio src={href} controls preload="none" title={alt || undefined}>
          <a href={href}>{alt || "The audio"}</a>
        </audio>
      );
    default:
      return (
        <p>
          <a href={href}>{alt || "A file"}</a>
        </p>
      );
  }
}

export function Attachments(props: AttachmentsProps) {
  if (props.attachments.length === 0) return null;
  const files = (
    <div class="media">
      {props.attachments.map((file) => (
        <Attachment file={file} origin={props.origin} />
      ))}
    </div>
  );
  return props.sensitive ? (
    <details>
      <summary>Sensitive media</summary>
      {files}
    </details>
  ) : (
    files
  );
}
