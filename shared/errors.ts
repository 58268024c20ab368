/**
 * Expected failures, named. Each class spells its `name` out: minifiers rename classes, and the name
 * is what logs, alerts and the Lambda runtime's errorType show. Each message is written for an operator at 3 a.m.: what is wrong, with
 * which secret, and what to do. None ever carries a secret value.
 *
 * `retryable` tells the alert whether Secrets Manager's own retries can fix it; every error is still
 * thrown, so the service marks the step failed and retries it.
 */
export interface RotationErrorOptions {
  retryable?: boolean;
  /** What a person should do when retrying will not help. */
  action?: string;
  cause?: unknown;
}

export class RotationError extends Error {
  override readonly name: string = 'RotationError';

  readonly retryable: boolean;
  readonly action: string | undefined;

  constructor(message: string, options: RotationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.action = options.action;
  }
}

/** The invocation event is not a rotation event this function understands. */
export class InvalidEventError extends RotationError {
  override readonly name: string = 'InvalidEventError';
}

/** DescribeSecret says rotation is off; Secrets Manager would never call us in that state. */
export class RotationNotEnabledError extends RotationError {
  override readonly name: string = 'RotationNotEnabledError';
}

/** The event's token is not a version of the secret, or is staged but not AWSPENDING. */
export class VersionNotStagedError extends RotationError {
  override readonly name: string = 'VersionNotStagedError';
}

/** Another rotation of the secret is under way, or finished meanwhile: the operation would race it. */
export class RotationInProgressError extends RotationError {
  override readonly name: string = 'RotationInProgressError';
}

/** A stored secret value is not JSON, or misses or mistypes a key. */
export class SecretFormatError extends RotationError {
  override readonly name: string = 'SecretFormatError';

  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    options: RotationErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The secret a step needs (AWSPENDING for setSecret, AWSCURRENT for createSecret, a master secret) is not there. */
export class SecretVersionMissingError extends RotationError {
  override readonly name: string = 'SecretVersionMissingError';
}

/** The target refused a credential we expected to work (wrong password, revoked token). */
export class CredentialRejectedError extends RotationError {
  override readonly name: string = 'CredentialRejectedError';
}

/** The credential works but may not do what rotation needs (NOPERM, insufficient privilege). */
export class PermissionDeniedError extends RotationError {
  override readonly name: string = 'PermissionDeniedError';
}

/** The target could not be reached: refused, timed out, DNS, TLS handshake. Usually transient. */
export class TargetUnreachableError extends RotationError {
  override readonly name: string = 'TargetUnreachableError';

  constructor(message: string, options: RotationErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/**
 * The invocation ran out of time: it stopped at its deadline margin, a moment before the Lambda
 * deadline, and reported what it was waiting for. Usually a target that accepts and never answers.
 */
export class InvocationTimeoutError extends RotationError {
  override readonly name: string = 'InvocationTimeoutError';

  constructor(message: string, options: RotationErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** The target's TLS certificate could not be verified. Not transient: fix the CA bundle or the host. */
export class TlsVerificationError extends RotationError {
  override readonly name: string = 'TlsVerificationError';
}

/** The target asked us to slow down. Secrets Manager's retry later usually succeeds. */
export class RateLimitedError extends RotationError {
  override readonly name: string = 'RateLimitedError';

  constructor(message: string, options: RotationErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** The target answered with an error we understand but cannot fix (a 5xx, an unexpected body). */
export class TargetError extends RotationError {
  override readonly name: string = 'TargetError';
}

/** A URL in the secret points somewhere this suite refuses to send credentials. */
export class UnsafeEndpointError extends RotationError {
  override readonly name: string = 'UnsafeEndpointError';
}

/**
 * The function's own environment is wrong (a timeout that is not a number, an unreadable CA bundle,
 * an impossible password policy). Not transient: every retry reads the same environment.
 */
export class ConfigurationError extends RotationError {
  override readonly name: string = 'ConfigurationError';
}

/**
 * A secret names another secret (`masterarn`, `adminarn`, `client_secret_arn`) of another org or
 * environment: a credential of one estate must not be steered into another by editing a secret.
 */
export class CrossEnvironmentReferenceError extends RotationError {
  override readonly name: string = 'CrossEnvironmentReferenceError';
}

/**
 * The secret is not wired to this function (its RotationLambdaARN names another one, or none): a
 * function acts only on the secrets whose rotation Secrets Manager would invoke it for.
 */
export class WrongRotationFunctionError extends RotationError {
  override readonly name: string = 'WrongRotationFunctionError';
}

/**
 * An admin or master secret does not say which host it belongs to, or names another host than
 * the secret being rotated: its credential would go wherever that secret points.
 */
export class AdminHostMismatchError extends RotationError {
  override readonly name: string = 'AdminHostMismatchError';
}
