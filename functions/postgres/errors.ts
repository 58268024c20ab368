import {
  CredentialRejectedError,
  RotationError,
  TargetError,
  TlsVerificationError,
} from '../../shared/errors';

/** 28P01: the server checked the password and said no (or, with scram, the role does not exist). */
export class PasswordRejectedError extends CredentialRejectedError {
  override readonly name: string = 'PasswordRejectedError';
}

/** 28000: pg_hba.conf rejects the login, the role may not log in (NOLOGIN), or it does not exist. */
export class LoginRefusedError extends CredentialRejectedError {
  override readonly name: string = 'LoginRefusedError';
}

/** 3D000: the database named by `dbname` does not exist on that server. */
export class DatabaseNotFoundError extends TargetError {
  override readonly name: string = 'DatabaseNotFoundError';
}

/** The secret asks for TLS and the server offers none. We never fall back to plaintext. */
export class TlsUnavailableError extends TlsVerificationError {
  override readonly name: string = 'TlsUnavailableError';
}

/** The server asked for the password in clear text; this function only answers SCRAM or MD5. */
export class CleartextPasswordRefusedError extends RotationError {
  override readonly name: string = 'CleartextPasswordRefusedError';
}

/** A role the rotation needs does not exist, or is one this function refuses to touch. */
export class RoleStateError extends TargetError {
  override readonly name: string = 'RoleStateError';
}

/** The pending value does not belong with the current one (another user or host). */
export class PendingMismatchError extends RotationError {
  override readonly name: string = 'PendingMismatchError';
}
