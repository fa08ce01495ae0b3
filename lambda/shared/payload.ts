/**
 * What a record keeps of a request or response body. PAYLOAD_MODE decides:
 *
 * | mode        | stored                                   | when                                   |
 * | ----------- | ---------------------------------------- | -------------------------------------- |
 * | `full`      | sizeBytes, sha256, body (the text)       | full, and the body fits maxInlineBytes |
 * | `s3`        | sizeBytes, sha256, s3Uri                 | full, too big, overflow=s3             |
 * | `truncated` | sizeBytes, sha256, body (first N bytes)  | full, too big, overflow=truncate       |
 * | `hash`      | sizeBytes, sha256                        | hash                                   |
 * | `none`      | sizeBytes                                | none                                   |
 *
 * sizeBytes and sha256 always describe the whole body, so a body can be matched to its
 * record (for example a client's copy of what it sent) even when only a hash is kept.
 */
import { createHash } from 'node:crypto';
import type { PayloadMode } from './env';

export type PayloadRecord =
  | { readonly mode: 'full'; readonly sizeBytes: number; readonly sha256: string; readonly body: string }
  | { readonly mode: 's3'; readonly sizeBytes: number; readonly sha256: string; readonly s3Uri: string }
  | { readonly mode: 'truncated'; readonly sizeBytes: number; readonly sha256: string; readonly body: string }
  | { readonly mode: 'hash'; readonly sizeBytes: number; readonly sha256: string }
  | { readonly mode: 'none'; readonly sizeBytes: number };

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The record of a body that can be stored without S3, or `overflow` when a full body is
 * too big to store inline (the caller then writes it to S3 or truncates it).
 */
export function inlinePayloadRecord(bytes: Uint8Array, mode: PayloadMode, maxInlineBytes: number): PayloadRecord | 'overflow' {
  const sizeBytes = bytes.byteLength;
  if (mode === 'none') return { mode: 'none', sizeBytes };
  const sha256 = sha256Hex(bytes);
  if (mode === 'hash') return { mode: 'hash', sizeBytes, sha256 };
  if (sizeBytes > maxInlineBytes) return 'overflow';
  return { mode: 'full', sizeBytes, sha256, body: Buffer.from(bytes).toString('utf8') };
}

export function truncatedPayloadRecord(bytes: Uint8Array, maxInlineBytes: number): PayloadRecord {
  return { mode: 'truncated', sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes), body: utf8Prefix(bytes, maxInlineBytes) };
}

export function s3PayloadRecord(bytes: Uint8Array, s3Uri: string): PayloadRecord {
  return { mode: 's3', sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes), s3Uri };
}

/**
 * The longest prefix of at most maxBytes bytes that does not cut a UTF-8 character in two
 * (a split character would decode to U+FFFD, which is 3 bytes and could exceed the limit).
 */
export function utf8Prefix(bytes: Uint8Array, maxBytes: number): string {
  if (bytes.byteLength <= maxBytes) return Buffer.from(bytes).toString('utf8');
  let cut = maxBytes;
  // Continuation bytes are 10xxxxxx: step back to the start of the character at the cut.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return Buffer.from(bytes.subarray(0, cut)).toString('utf8');
}
