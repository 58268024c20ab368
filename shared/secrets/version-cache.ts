/**
 * SecretString by (secret ARN, VersionId). A version's value never changes once written (Secrets
 * Manager refuses a second, different PutSecretValue with the same token), so a warm container that
 * runs createSecret, setSecret and testSecret back to back can skip re-reading what it already holds.
 * Bounded in size and age: the values are secrets and should not outlive a rotation in memory.
 */
const MAX_ENTRIES = 64;
const MAX_AGE_MS = 15 * 60 * 1000;

interface Entry {
  value: string;
  storedAt: number;
}

const entries = new Map<string, Entry>();

const keyOf = (secretArn: string, versionId: string) => `${secretArn}\n${versionId}`;

export function cachedVersion(secretArn: string, versionId: string, now = Date.now()): string | undefined {
  const key = keyOf(secretArn, versionId);
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (now - entry.storedAt > MAX_AGE_MS) {
    entries.delete(key);
    return undefined;
  }
  return entry.value;
}

export function cacheVersion(secretArn: string, versionId: string, value: string, now = Date.now()): void {
  const key = keyOf(secretArn, versionId);
  entries.delete(key);
  entries.set(key, { value, storedAt: now });
  // Maps iterate in insertion order: the first key is the least recently stored.
  while (entries.size > MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest === undefined) break;
    entries.delete(oldest);
  }
}

export function clearVersionCache(): void {
  entries.clear();
}
