/**
 * Replaces asset hashes (64 hex characters, as in S3 keys, image tags and asset paths) in
 * snapshot strings, so a handler or model change does not rewrite every stack snapshot.
 * What the hash points at is asserted by the fine-grained tests instead.
 */
const HASH = /[a-f0-9]{64}/g;
module.exports = {
  test: (value) => typeof value === 'string' && HASH.test(value) && ((HASH.lastIndex = 0), true),
  serialize: (value) => JSON.stringify(value.replace(HASH, '[ASSET_HASH]')),
};
