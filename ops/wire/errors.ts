/**
 * Why wire or unwire changed nothing (or stopped part-way): each says what is wrong, which key or
 * which resource, and what to do. Never a secret value.
 */
export class WireError extends Error {
  override readonly name: string = 'WireError';
}

/** The secret's AWSCURRENT value is not what the kind's function can rotate. */
export class SecretFormatRefusedError extends WireError {
  override readonly name = 'SecretFormatRefusedError';
  constructor(
    readonly secret: string,
    readonly problems: readonly string[],
  ) {
    super(
      `refusing to wire ${secret}: its AWSCURRENT value ${problems.length === 1 ? 'has a problem' : `has ${problems.length} problems`}:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n') +
        '\nfix the secret (put-secret-value) and run wire again; nothing was changed',
    );
  }
}

/** The stack to wire to cannot be read or lacks an output wire needs. */
export class StackLookupError extends WireError {
  override readonly name = 'StackLookupError';
}

/** A step failed after earlier ones succeeded: what was done, so the operator can re-run or undo. */
export class PartialWireError extends WireError {
  override readonly name = 'PartialWireError';
  constructor(
    readonly done: readonly string[],
    readonly failedAt: string,
    cause: unknown,
  ) {
    super(
      `${failedAt} failed: ${(cause as Error).name}: ${(cause as Error).message}\n` +
        (done.length > 0 ? `already done:\n${done.map((d) => `  - ${d}`).join('\n')}\n` : '') +
        'every step is safe to repeat: fix the cause and run the same command again',
      { cause },
    );
  }
}
