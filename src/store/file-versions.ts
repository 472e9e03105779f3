// The file store's versions: `.versions/<hash>.json` beside the runs, written once, atomically, never rewritten.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicJsonFile } from './atomic-json-file.ts';
import { assertVersionHash, checkVersion, VersionNotFoundError, type StoredVersion } from './versions.ts';

/** The folder of versions inside a runs directory: its leading dot keeps it out of run listings. */
const versionsFolder = '.versions';

function versionFile(root: string, hash: string): string {
  return join(root, versionsFolder, `${assertVersionHash(hash, root)}.json`);
}

/** Stores a version unless one with its hash is there already (same hash, same code). */
export async function putFileVersion(root: string, version: StoredVersion, fsync: boolean): Promise<void> {
  const path = versionFile(root, version.hash);
  if (existsSync(path)) return;
  await mkdir(join(root, versionsFolder), { recursive: true });
  await new AtomicJsonFile<StoredVersion>(path, { parse: (text) => checkVersion(JSON.parse(text), version.hash, root), fsync }).write(version);
}

export async function getFileVersion(root: string, hash: string): Promise<StoredVersion> {
  const path = versionFile(root, hash);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new VersionNotFoundError(`no version ${hash.slice(0, 12)} in ${root} (${path} is missing)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new VersionNotFoundError(`version ${hash.slice(0, 12)} in ${root} is damaged: ${path} is not JSON`);
  }
  return checkVersion(value, hash, root);
}
