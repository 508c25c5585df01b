const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A raw body as text: `''` when there is none, `undefined` when it is not valid UTF-8 (which
 * a lenient decoding would silently turn into U+FFFD and store).
 */
export function utf8Body(body: unknown): string | undefined {
  if (!(body instanceof Uint8Array)) return '';
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}
