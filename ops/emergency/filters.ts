import type { Filter, SecretListEntry } from '@aws-sdk/client-secrets-manager';

/** Which secrets a fleet emergency touches: every name pattern and every tag must match (AND). */
export interface FleetFilter {
  /** Globs on the full secret name: `*` within one `/` segment, `**` across segments, `?` one character. */
  match: string[];
  /** `key=value` (exact) or `key` (any value). */
  tags: TagFilter[];
}

export interface TagFilter {
  key: string;
  value?: string;
}

/** A --match or --tag an operator typed that cannot select anything as written. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}

export function parseTag(spec: string): TagFilter {
  const at = spec.indexOf('=');
  const key = at < 0 ? spec : spec.slice(0, at);
  if (key === '') throw new FilterError(`--tag ${spec}: expected key=value or key (the tag key is empty)`);
  return at < 0 ? { key } : { key, value: spec.slice(at + 1) };
}

const WILDCARD = /[*?]/;

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The part of a pattern before its first wildcard: every name it matches starts with it. */
export function literalPrefix(pattern: string): string {
  const wildcard = pattern.search(WILDCARD);
  return wildcard < 0 ? pattern : pattern.slice(0, wildcard);
}

/**
 * What ListSecrets accepts in a filter value (its API reference: at most 512 characters of
 * `[a-zA-Z0-9 :_@/+=.-!]`, a leading `!` meaning "not"). The longest acceptable start of `text`,
 * or undefined when none is worth sending: the client-side match decides anyway.
 */
function filterValue(text: string): string | undefined {
  const allowed = /^[a-zA-Z0-9 :_@/+=.\-!]*/.exec(text)?.[0] ?? '';
  const value = allowed.slice(0, 512);
  return value === '' || value.startsWith('!') ? undefined : value;
}

/**
 * The longest literal prefix every name must start with: all patterns must match, so each one's
 * prefix is a prefix of the name. Undefined when two prefixes contradict (nothing can match).
 */
export function namePrefix(patterns: readonly string[]): string | undefined {
  let longest = '';
  for (const prefix of patterns.map(literalPrefix)) {
    if (prefix.startsWith(longest)) longest = prefix;
    else if (!longest.startsWith(prefix)) return undefined;
  }
  return longest;
}

/**
 * ListSecrets filters that narrow the listing on the server. They are prefix matches (name,
 * tag-key, tag-value) and tag-key and tag-value match independently of each other, so they only
 * narrow: `matchesFilter` decides on the full name and the exact tag pairs.
 */
export function serverFilters(filter: FleetFilter): Filter[] {
  const filters: Filter[] = [];
  const prefix = filterValue(namePrefix(filter.match) ?? '');
  if (prefix) filters.push({ Key: 'name', Values: [prefix] });
  const [tag] = filter.tags;
  const key = tag ? filterValue(tag.key) : undefined;
  if (key) filters.push({ Key: 'tag-key', Values: [key] });
  const value = tag?.value ? filterValue(tag.value) : undefined;
  if (value) filters.push({ Key: 'tag-value', Values: [value] });
  return filters;
}

export function matchesFilter(entry: SecretListEntry, filter: FleetFilter): boolean {
  const name = entry.Name ?? '';
  return (
    filter.match.every((pattern) => globToRegExp(pattern).test(name)) &&
    filter.tags.every(({ key, value }) =>
      (entry.Tags ?? []).some((tag) => tag.Key === key && (value === undefined || tag.Value === value)),
    )
  );
}

/** `--match 'sergas/*\/prod/*' --tag component=zoho`, as the operator typed it. */
export function describeFilter(filter: FleetFilter): string {
  return [
    ...filter.match.map((pattern) => `--match '${pattern}'`),
    ...filter.tags.map(({ key, value }) => `--tag ${value === undefined ? key : `${key}=${value}`}`),
  ].join(' ');
}
