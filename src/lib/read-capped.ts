/**
 * Reading a body with a size cap: what the inbox does with a request and what an outbound
 * fetch does with a response. A declared length over the cap is refused unread, and reading
 * stops at the cap whatever was declared.
 */

/** The body's bytes, or undefined once it passes `maxBytes` (the rest is not read). */
export async function readCapped(
  message: Request | Response,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const declared = Number(message.headers.get("content-length"));
  if (declared > maxBytes) {
    await message.body?.cancel();
    return undefined;
  }
  if (message.body === null) return new Uint8Array();
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
