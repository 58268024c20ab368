import { vi } from 'vitest';

/**
 * Everything written to stdout and stderr while it is active: Powertools' logger and metrics write
 * there (one JSON document per line), as does anything a library prints.
 */
export function captureOutput() {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return {
    text: () => chunks.join(''),
    /** Each JSON line, parsed; non-JSON lines are skipped. */
    json(): Record<string, unknown>[] {
      return chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    restore() {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
