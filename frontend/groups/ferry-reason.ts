/**
 * A handler's `head.reason`, checked against RFC 9112's grammar:
 * reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ). Node writes the status line in latin1, so
 * obs-text (0x80-0xFF) is a char code up to 0xFF; anything else (CR, LF, NUL, a character past
 * 0xFF) could split or corrupt the status line.
 */
export function reasonPhrase(reason: string): string | undefined {
  if (reason.length === 0) return undefined;
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c === 0x09 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff)) continue;
    return undefined;
  }
  return reason;
}
