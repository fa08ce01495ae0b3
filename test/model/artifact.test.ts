import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';
import { extractModelArtifact, ModelArtifactError, sha256, writeDeterministicArchive } from '../../model/src/artifact';
import { COMMITTED_ARTIFACT, makeTempDir, removeTempDirs } from '../harness/model-fixtures';

afterAll(removeTempDirs);

/** A file in a fresh temporary directory. */
function tempFile(name: string, content: Buffer | string): string {
  const file = path.join(makeTempDir(), name);
  fs.writeFileSync(file, content);
  return file;
}

describe('extractModelArtifact', () => {
  it('unpacks the committed artifact into model.json', async () => {
    const dir = path.join(makeTempDir(), 'created', 'on', 'demand');
    expect(await extractModelArtifact(COMMITTED_ARTIFACT, dir)).toEqual(['model.json']);
    expect(fs.readdirSync(dir)).toEqual(['model.json']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'))).toMatchObject({ formatVersion: 1 });
  });

  it('names a missing artifact', async () => {
    const missing = path.join(makeTempDir(), 'model.tar.gz');
    await expect(extractModelArtifact(missing, makeTempDir())).rejects.toThrow(
      new ModelArtifactError(`model artifact not found: ${missing}`),
    );
    await expect(extractModelArtifact(missing, makeTempDir())).rejects.toBeInstanceOf(ModelArtifactError);
  });

  it('refuses a directory and an empty file', async () => {
    const dir = makeTempDir();
    await expect(extractModelArtifact(dir, makeTempDir())).rejects.toThrow(`model artifact is not a file: ${dir}`);
    const empty = tempFile('model.tar.gz', '');
    await expect(extractModelArtifact(empty, makeTempDir())).rejects.toThrow(`model artifact is empty: ${empty}`);
  });

  it.each([
    ['bytes that are not an archive', () => Buffer.from('this is not an archive\n'.repeat(40)), 'TAR_ENTRY_INVALID: checksum failure'],
    ['a cut-off download', () => fs.readFileSync(COMMITTED_ARTIFACT).subarray(0, 2000), 'zlib: unexpected end of file'],
    ['gzip of something that is not a tar', () => gzipSync('not a tar\n'.repeat(100)), 'TAR_ENTRY_INVALID: checksum failure'],
  ])('reports %s as corrupt', async (_case, bytes, reason) => {
    const file = tempFile('model.tar.gz', bytes());
    await expect(extractModelArtifact(file, makeTempDir())).rejects.toThrow(`model artifact is corrupt: ${file}: ${reason}`);
  });

  it('refuses links, which could point outside the model directory', async () => {
    const staging = makeTempDir();
    fs.symlinkSync('/etc/passwd', path.join(staging, 'model.json'));
    const archive = path.join(makeTempDir(), 'model.tar.gz');
    await create({ file: archive, gzip: true, cwd: staging }, ['model.json']);
    const dest = makeTempDir();
    await expect(extractModelArtifact(archive, dest)).rejects.toThrow(
      `model artifact ${archive} contains entries that are not regular files: model.json (SymbolicLink)`,
    );
    expect(fs.readdirSync(dest)).toEqual([]);
  });
});

describe('writeDeterministicArchive', () => {
  const entries = [
    { name: 'model.json', content: '{"formatVersion":1}\n' },
    { name: 'NOTICE', content: Buffer.from('trained on iris\n') },
  ];

  it('gives the same bytes for the same entries, in any order, and other bytes for other content', () => {
    const first = path.join(makeTempDir(), 'a.tar.gz');
    const second = path.join(makeTempDir(), 'b.tar.gz');
    const digest = writeDeterministicArchive(entries, first);
    expect(writeDeterministicArchive([...entries].reverse(), second)).toBe(digest);
    expect(fs.readFileSync(first).equals(fs.readFileSync(second))).toBe(true);
    expect(sha256(fs.readFileSync(first))).toBe(digest);
    expect(writeDeterministicArchive([{ ...entries[0], content: '{"formatVersion":2}\n' }, entries[1]], second)).not.toBe(digest);
  });

  it('round-trips through extractModelArtifact', async () => {
    const archive = path.join(makeTempDir(), 'nested', 'model.tar.gz');
    writeDeterministicArchive(entries, archive);
    const dir = makeTempDir();
    expect(await extractModelArtifact(archive, dir)).toEqual(['NOTICE', 'model.json']);
    expect(fs.readFileSync(path.join(dir, 'NOTICE'), 'utf8')).toBe('trained on iris\n');
    expect(fs.statSync(path.join(dir, 'model.json')).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it.each([
    [[{ name: '../model.json', content: '' }], 'archive entry name must be a plain file name, got "../model.json"'],
    [[{ name: 'dir/model.json', content: '' }], 'archive entry name must be a plain file name, got "dir/model.json"'],
    [
      [
        { name: 'a', content: '' },
        { name: 'a', content: '' },
      ],
      'archive entry names must be unique',
    ],
  ])('refuses entries %j', (bad, message) => {
    const out = path.join(makeTempDir(), 'model.tar.gz');
    expect(() => writeDeterministicArchive(bad, out)).toThrow(new ModelArtifactError(message));
    expect(fs.existsSync(out)).toBe(false);
  });
});
