import type { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaInvocation } from '../observability/lambda-handler';
import type { Stage } from '../secrets/stages';
import type { Deadline } from '../net/deadline';
import type { RotationStep } from './event';

/**
 * Everything a rotator may ask of the core while it works on one step. It is also the step's
 * Deadline: pass it to every network call (connect, query, HTTP request, AWS SDK call), so the
 * call stops when `signal` fires at the deadline margin, and say what each call waits for
 * (`waitingFor`): the timeout alert names the last one.
 */
export interface RotationContext<S> extends Deadline {
  readonly secretArn: string;
  readonly secretName: string;
  /**
   * The version of the value the rotator was handed: in the four steps the one being rotated in
   * (the event's ClientRequestToken, staged AWSPENDING); in `revoke`, the AWSPREVIOUS version.
   */
  readonly versionId: string;
  readonly step: RotationStep | 'revokePrevious';
  /** Silent once the deadline has fired: nothing is logged after the step has been reported failed. */
  readonly logger: Logger;
  /**
   * The Lambda invocation this step runs in: the function's own ARN and the time left. Absent when
   * the core runs in process (tests, scripts); a rotator that needs it refuses without it.
   */
  readonly lambda?: LambdaInvocation;
  /** The AWSCURRENT value, parsed. Read once per invocation, by version id. */
  current(): Promise<S>;
  /** The AWSPREVIOUS value, parsed, or undefined before the first rotation. */
  previous(): Promise<S | undefined>;
  /**
   * The pending value of a rotation an emergency rotation abandoned (label ROTATION_ABANDONED), if
   * any and readable. Its setSecret may have reached the target, so a rotator whose setSecret
   * replaces the credential (single-user password, registered webhook token) tries it last to log in.
   */
  abandoned(): Promise<S | undefined>;
  /**
   * The AWSCURRENT value of another secret (a master or admin credential), JSON-decoded; the
   * rotator validates it with its own schema. `purpose` names it in errors ("master secret").
   */
  readOtherSecret(secretId: string, purpose: string): Promise<unknown>;
  /** Add non-secret facts to this step's audit scope (strategy, user name, nodes touched). */
  annotate(fields: Record<string, string | number | boolean>): void;
  /**
   * Whether the version being rotated in carries one of the suite's own labels (see Stage), as this
   * step's DescribeSecret saw it or this step set it. How a step remembers, across attempts, a fact
   * its target cannot show.
   */
  versionHasLabel(label: RotatorLabel): boolean;
  /** Put one of the suite's own labels on the version being rotated in (moved off any other). */
  labelVersion(label: RotatorLabel): Promise<void>;
  /** Take it off again, once the fact is of no further use (a finished rotation leaves no trace). */
  unlabelVersion(label: RotatorLabel): Promise<void>;
}

/** The labels a rotator may set: never AWSCURRENT, AWSPENDING or AWSPREVIOUS, which the core moves. */
export type RotatorLabel = typeof Stage.SetRequested;

/**
 * A rotator owns only what touches its target system; the core owns the four-step protocol.
 *
 * - `parse` validates secret JSON and must keep unknown keys (use a loose schema): a pending value
 *   is built from the current one and must not silently drop fields other tools rely on.
 * - `create` returns the pending value. No side effect on the target: it may run again after a crash.
 * - `set` makes the target accept the pending credential. Idempotent: it may run twice.
 * - `test` proves the pending credential works against the target. No AWSCURRENT move happens
 *   before it passes.
 * - `finish` runs in finishSecret just before AWSCURRENT moves: it retires credentials older than
 *   the current one (the one about to become AWSPREVIOUS). Running it before the move means a
 *   failure leaves the labels untouched and Secrets Manager's retry runs it again; after the move,
 *   a retry would find the token already AWSCURRENT and skip it.
 * - `revoke` (emergency rotation) makes the previous credential stop working now.
 */
export interface Rotator<S> {
  readonly kind: string;
  parse(value: unknown): S;
  create(current: S, ctx: RotationContext<S>): Promise<S>;
  set(pending: S, ctx: RotationContext<S>): Promise<void>;
  test(pending: S, ctx: RotationContext<S>): Promise<void>;
  finish?(pending: S, ctx: RotationContext<S>): Promise<void>;
  revoke?(previous: S, ctx: RotationContext<S>): Promise<void>;
}
