import { expect } from 'vitest';

/** Every password a test file used or saw, to search logs and outputs for them at the end. */
export class SecretLedger {
  readonly #values = new Set<string>();

  add(value: string | undefined): void {
    if (value) this.#values.add(value);
  }

  values(): string[] {
    return [...this.#values];
  }
}

/** Fail naming where a secret leaked, without printing the secret itself. */
export function expectNoSecretsIn(text: string, values: readonly string[], where: string): void {
  expect(values.length).toBeGreaterThan(0);
  const leaked = values.filter(
    (value) => text.includes(value) || text.includes(JSON.stringify(value).slice(1, -1)),
  );
  expect(leaked.length, `${leaked.length} secret value(s) found in ${where}`).toBe(0);
}
