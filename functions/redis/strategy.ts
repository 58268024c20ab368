import type { Rotator } from '../../shared/rotation/rotator';

/**
 * How one kind of Redis user is rotated: a rotator's steps for secrets of one format. The function
 * has two (self-managed ACL users, ElastiCache/MemoryDB users); rotator.ts picks one per secret.
 */
export type Strategy<S> = Required<Pick<Rotator<S>, 'create' | 'set' | 'test' | 'finish' | 'revoke'>>;
