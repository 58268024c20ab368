export function functionNames(): string[];
export function buildAll(options?: { quiet?: boolean }): Promise<string[]>;
