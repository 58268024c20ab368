import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { EstateReport } from '../../../ops/status/estate';
import { plain, relative, renderTable, styleFor } from '../../../ops/status/render';

const report: EstateReport = {
  checkedAt: '2026-11-23T12:00:00.000Z',
  stack: { org: 'sergas', env: 'prod' },
  functions: ['sergas-prod-postgres-rotation'],
  secrets: [
    {
      kind: 'postgres',
      name: 'sergas/cognee/prod/postgres_password',
      arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:sergas/cognee/prod/postgres_password-AbCdEf',
      environment: 'prod',
      schedule: 'rate(90 days)',
      window: '4h',
      lastRotated: '2026-08-20T12:00:00.000Z',
      nextRotation: '2026-11-18T12:00:00.000Z',
      state: 'stuck',
      stuckAt: 'setSecret',
      problems: ['setSecret failed with CredentialRejectedError, which retries cannot fix'],
      lastFailure: {
        step: 'setSecret',
        errorClass: 'CredentialRejectedError',
        retryable: false,
        action: 'Put the current password back.',
        at: '2026-11-23T11:48:00.000Z',
      },
    },
    {
      kind: 'redis',
      name: 'sergas/redis/prod/password',
      arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:sergas/redis/prod/password-AbCdEf',
      environment: 'prod',
      schedule: 'rate(90 days)',
      window: '4h',
      lastRotated: '2026-11-20T12:00:00.000Z',
      state: 'ok',
      problems: [],
    },
  ],
  counts: { stuck: 1, overdue: 0, disabled: 0, rotating: 0, ok: 1 },
  warnings: [],
};

/** Where an ANSI colour sequence starts. */
const ESC = String.fromCharCode(27);
/** A stream that says it is a terminal, as process.stdout does in one. */
const fakeTty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = value;
  }
});

describe('renderTable', () => {
  it('prints one row per secret with relative dates, then what to do, then the counts', () => {
    const lines = renderTable(report, plain).split('\n');
    expect(lines[0]).toBe(
      'state               kind      secret                                env   schedule       window  last rotated  next rotation  last failure',
    );
    expect(lines[2]).toBe(
      'stuck at setSecret  postgres  sergas/cognee/prod/postgres_password  prod  rate(90 days)  4h      95 d ago      5 d ago        setSecret CredentialRejectedError',
    );
    expect(lines[3]).toBe(
      'ok                  redis     sergas/redis/prod/password            prod  rate(90 days)  4h      3 d ago       -              -',
    );
    expect(lines.slice(5)).toEqual([
      'sergas/cognee/prod/postgres_password: stuck at setSecret',
      '  setSecret failed with CredentialRejectedError, which retries cannot fix',
      '  last failure 12 min ago: setSecret CredentialRejectedError',
      '  what to do: Put the current password back.',
      '',
      '2 secrets wired to sergas-prod: 1 stuck, 1 ok',
    ]);
  });

  it('adds symbols and colour on a terminal, symbols alone with NO_COLOR, neither elsewhere', () => {
    delete process.env.NO_COLOR;
    process.env.FORCE_COLOR = '1';
    const tty = renderTable(report, styleFor(fakeTty));
    expect(tty).toContain('✗ stuck at setSecret');
    expect(tty).toContain('✓ ok');
    expect(tty).toContain(`${ESC}[31m✗ stuck at setSecret`);

    delete process.env.FORCE_COLOR;
    process.env.NO_COLOR = '1';
    const noColour = renderTable(report, styleFor(fakeTty));
    expect(noColour).toContain('✗ stuck at setSecret');
    expect(noColour).not.toContain(ESC);

    expect(renderTable(report, styleFor({ isTTY: false } as NodeJS.WriteStream))).toBe(
      renderTable(report, plain),
    );
  });
});

describe('relative', () => {
  it('says how far a date is, in minutes, hours or days', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    expect(relative('2026-11-23T11:48:00Z', now)).toBe('12 min ago');
    expect(relative('2026-11-23T15:00:00Z', now)).toBe('in 3 h');
    expect(relative('2027-02-21T12:00:00Z', now)).toBe('in 90 d');
    expect(relative('2026-11-23T11:59:30Z', now)).toBe('just now');
    expect(relative(undefined, now)).toBe('-');
  });
});
