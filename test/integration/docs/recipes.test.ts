import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParseEntry, parse, quote } from 'shell-quote';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEmergencyInput } from '../../../functions/emergency-rotate/input';
import { parseTemplate } from '../../../dev/lib/cfn-yaml';
import { CUSTOM_FLAGS, cliOperation, GLOBAL_FLAGS, GLOBAL_SWITCHES } from '../../support/aws-cli-model';
import { type FencedBlock, fencedBlocks } from '../../support/markdown';

/**
 * Every shell recipe in README.md and docs/ works as written. Each fenced shell block says how it
 * is proven, in its info string:
 *
 * - ` ```sh local `: run here, verbatim, in bash at the repository root, a file's local blocks in
 *   order in one shell (as a reader following the page would), inside a fresh network namespace
 *   where only loopback exists (so its fixed ports are free and nothing leaves the machine);
 * - ` ```sh ci `: every command is one `.ci/run` runs as it is (or a test runs as it is);
 * - ` ```sh `: needs an AWS account, SAM or Docker, so it is checked instead: each `aws` command
 *   against the CLI's own service models (the operation exists, every flag is one of its inputs,
 *   `--cli-binary-format raw-in-base64-out` wherever `--payload` is given), function names against
 *   template.yaml's, secret names against the naming convention, an emergency payload against the
 *   function's input schema, `sam` parameters and logical ids against the template, and every
 *   `npm run` against package.json, run with its arguments where it has no placeholders (against
 *   an endpoint that refuses connections: the arguments must be accepted, exit code not 2).
 *
 * Inline commands in the prose (`aws ...`, `npm run ...`, `sam ...`) and the invoke command in
 * template.yaml's outputs get the same checks as ` ```sh ` blocks.
 */
const DOCUMENTS = [
  'README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const SHELL = /^(sh|bash|shell|console|zsh)\b/;
const KINDS = ['sh', 'sh local', 'sh ci'];
const template = parseTemplate(readFileSync('template.yaml', 'utf8'));
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts;

interface Located extends FencedBlock {
  file: string;
}
const blocks: Located[] = DOCUMENTS.flatMap((file) =>
  fencedBlocks(readFileSync(file, 'utf8')).map((block) => ({ ...block, file })),
);
const shellBlocks = blocks.filter((block) => SHELL.test(block.info));
const withInfo = (info: string) => shellBlocks.filter((block) => block.info === info);

// ---------------------------------------------------------------- reading commands

const PLACEHOLDER = '__placeholder__';
/** `<version from the alert>`, `...` and values with `...` in them stand for what the reader fills in. */
const isPlaceholder = (word: string) =>
  word.includes(PLACEHOLDER) || word.includes('...') || word.includes('…');

interface Command {
  words: string[];
  where: string;
}

/** The simple commands of a shell text: continuations joined, comments dropped, split at ; && || | &. */
function commandsOf(text: string, where: string): Command[] {
  const commands: Command[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    let words: string[] = [];
    const entries: ParseEntry[] = parse(line.replace(/<[^<>\n]*>/g, PLACEHOLDER), (name) => `$${name}`);
    for (const entry of entries) {
      if (typeof entry === 'string') words.push(entry);
      else if ('comment' in entry) break;
      else if ('pattern' in entry) words.push(entry.pattern);
      else if (words.length > 0) {
        commands.push({ words, where });
        words = [];
      }
    }
    if (words.length > 0) commands.push({ words, where });
  }
  return commands;
}

/** Inline code spans of the prose (not inside fenced blocks) that are commands the reader may run. */
function inlineCommands(file: string): Command[] {
  const prose = readFileSync(file, 'utf8').replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)]
    .map((match) => match[1] ?? '')
    .filter((code) => /^(aws|npm run|sam) /.test(code))
    .flatMap((code) => commandsOf(code.replace(/\[[^\]]*\]/g, ''), `${file}: \`${code}\``));
}

/** template.yaml's output descriptions that spell a command (the emergency invoke). */
function templateCommands(): Command[] {
  const outputs =
    (template as unknown as { Outputs?: Record<string, { Description?: string }> }).Outputs ?? {};
  return Object.entries(outputs)
    .filter(([, output]) => output.Description?.startsWith('aws '))
    .flatMap(([id, output]) =>
      commandsOf(
        (output.Description ?? '').replace('<this>', 'sergas-dev-emergency-rotate'),
        `template.yaml output ${id}`,
      ),
    );
}

// ---------------------------------------------------------------- what a command must match

const functions = Object.entries(template.Resources).filter(
  ([, r]) => r.Type === 'AWS::Serverless::Function',
);
/** Deployed function names, as patterns: `${Org}-${Environment}-emergency-rotate` -> /^[a-z0-9]+-[a-z0-9]+-emergency-rotate$/. */
const functionNames = functions.map(([id, fn]) => {
  const sub = (fn.Properties?.FunctionName as { 'Fn::Sub'?: string } | undefined)?.['Fn::Sub'] ?? id;
  return { id, pattern: new RegExp(`^${sub.replace(/\$\{(Org|Environment)\}/g, '[a-z0-9]+')}$`) };
});
const SECRET_NAME = /^[a-z0-9-]+\/[a-z0-9_-]+\/[a-z0-9-]+\/[a-z0-9_]+$/;

/** Flag -> values, positionals, and what is wrong with the flags of `aws <service> <command> ...`. */
function checkAws(command: Command): string[] {
  const [, service = '', name = '', ...args] = command.words;
  const problems: string[] = [];
  const say = (problem: string) => problems.push(`${command.where}: aws ${service} ${name}: ${problem}`);
  const operation = cliOperation(service, name);
  if (!operation) return [`${command.where}: \`aws ${service} ${name}\` is no AWS CLI command`];
  if (service === 'lambda' && name === 'invoke' && args.at(-1)?.startsWith('--') === false) args.pop(); // outfile

  const values = new Map<string, string[]>();
  let current: string | undefined;
  for (const word of args) {
    if (word.startsWith('--')) {
      current = word.slice(2);
      const known =
        operation.flags.has(current) ||
        (current.startsWith('no-') && operation.booleans.has(current.slice(3))) ||
        GLOBAL_FLAGS.has(current) ||
        (CUSTOM_FLAGS[`${service} ${name}`] ?? []).includes(current);
      if (!known) say(`no such option --${current}`);
      values.set(current, []);
    } else if (current === undefined) say(`unexpected argument ${word}`);
    else values.get(current)?.push(word);
  }
  for (const [flag, given] of values) {
    const switchLike = operation.booleans.has(flag.replace(/^no-/, '')) || GLOBAL_SWITCHES.has(flag);
    if (switchLike && given.length > 0) say(`--${flag} takes no value (got ${given.join(' ')})`);
    if (!switchLike && given.length === 0) say(`--${flag} needs a value`);
  }
  const value = (flag: string) => values.get(flag)?.[0];

  if (values.has('payload') && value('cli-binary-format') !== 'raw-in-base64-out')
    say('--payload without --cli-binary-format raw-in-base64-out (AWS CLI v2 would read the JSON as base64)');
  const functionName = value('function-name');
  if (functionName && !isPlaceholder(functionName)) {
    const matched = functionNames.find((fn) => fn.pattern.test(functionName));
    if (!matched) say(`function ${functionName} is none of template.yaml's function names`);
    const payload = value('payload');
    if (matched?.id === 'EmergencyRotateFunction' && payload) {
      try {
        parseEmergencyInput(JSON.parse(payload));
      } catch (error) {
        say(`payload is not an emergency request: ${(error as Error).message}`);
      }
    }
  }
  if (service === 'secretsmanager') {
    for (const flag of ['secret-id', 'name']) {
      const secret = value(flag);
      if (secret && !isPlaceholder(secret) && !SECRET_NAME.test(secret))
        say(`secret ${secret} does not follow {org}/{component}/{env}/{type}`);
    }
  }
  return problems;
}

/** The packages this repository publishes (packages/<name>/package.json). */
const ownPackages = existsSync('packages')
  ? readdirSync('packages')
      .filter((dir) => existsSync(`packages/${dir}/package.json`))
      .map(
        (dir) => (JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8')) as { name: string }).name,
      )
  : [];

function checkNpm(command: Command): string[] {
  const [, verb = '', script = '', ...rest] = command.words;
  if (verb === 'install') {
    // A package of this repository, by the name it is published under.
    return [script, ...rest]
      .filter((name) => name.startsWith('@secret-rotation-suite/') && !ownPackages.includes(name))
      .map((name) => `${command.where}: no package ${name} in packages/`);
  }
  if (['ci', 'test'].includes(verb)) return [];
  if (verb !== 'run') return [`${command.where}: no check for \`npm ${verb}\``];
  return script in scripts ? [] : [`${command.where}: package.json has no script ${script}`];
}

function checkSam(command: Command): string[] {
  const [, verb = '', ...args] = command.words;
  const where = `${command.where}: sam ${verb}`;
  if (verb === 'build') return [];
  if (verb === 'deploy') {
    const overrides = args.slice(args.indexOf('--parameter-overrides') + 1);
    const names = overrides
      .filter((word) => /^[A-Za-z0-9]+=/.test(word))
      .map((word) => word.split('=')[0] ?? '');
    return names
      .filter((name) => !(name in (template.Parameters ?? {})))
      .map((name) => `${where}: template.yaml has no parameter ${name}`);
  }
  if (verb === 'local' && args[0] === 'invoke' && args.length > 1) {
    const problems: string[] = [];
    const event = args[args.indexOf('-e') + 1] ?? '';
    if (!existsSync(event)) problems.push(`${where} invoke: no event file ${event}`);
    const logicalId = args.at(-1) ?? '';
    if (!functions.some(([id]) => id === logicalId))
      problems.push(`${where} invoke: no function ${logicalId} in template.yaml`);
    return problems;
  }
  if (verb === 'local' && args.length === 1) return []; // the prose naming the command
  return [`${where}: no check for it`];
}

function check(command: Command): string[] {
  const [program] = command.words;
  if (program === 'aws') return checkAws(command);
  if (program === 'npm') return checkNpm(command);
  if (program === 'sam') return checkSam(command);
  return [
    `${command.where}: no check for \`${program}\` in a block that is not run (make it \`sh local\`, or teach recipes.test.ts)`,
  ];
}

/** The operator commands whose arguments a `sh` recipe's run can prove (the others build or test). */
const ARGUMENT_CHECKED = ['invoke', 'emergency', 'status', 'wire', 'unwire'];

const checkedCommands = (): Command[] => [
  ...withInfo('sh').flatMap((block) => commandsOf(block.lines.join('\n'), `${block.file}:${block.line}`)),
  ...DOCUMENTS.flatMap(inlineCommands),
  ...templateCommands(),
];

// ---------------------------------------------------------------- running

/** The environment of an operator's fresh shell: none of the test run's AWS endpoint or switches. */
function operatorShellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(AWS_|VITEST|TEST_|POWERTOOLS_|ALLOW_LOOPBACK_HTTP|NODE_OPTIONS)/.test(key),
    ),
  );
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  output: string;
}

function runShell(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Its own process group: whatever the recipe leaves running is stopped with it.
    const child = spawn(argv[0] ?? 'bash', argv.slice(1), {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const stopGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => stopGroup('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      stopGroup('SIGTERM');
      setTimeout(() => stopGroup('SIGKILL'), 2_000).unref();
      resolve({ code, output });
    });
  });
}

/** A fresh network namespace with only loopback up, as root or as a user with user namespaces. */
function isolated(script: string): string[] {
  const inner = ['bash', '-c', `ip link set lo up && exec bash ${script}`];
  for (const flags of [['-n'], ['-rn']]) {
    const probe = spawnSync('unshare', [...flags, 'true']);
    if (probe.status === 0) return ['unshare', ...flags, ...inner];
  }
  return ['bash', script]; // no namespaces here: the recipe's ports must be free on this machine
}

const scratch = mkdtempSync(join(tmpdir(), 'recipes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------- the tests

describe('shell recipes in README.md and docs/', () => {
  it('mark every shell block as run here (sh local), run by CI (sh ci) or checked (sh)', () => {
    const unmarked = shellBlocks.filter((block) => !KINDS.includes(block.info));
    expect(unmarked.map((block) => `${block.file}:${block.line} \`\`\`${block.info}`)).toEqual([]);
    expect(withInfo('sh local').length).toBeGreaterThan(0);
    expect(withInfo('sh ci').map((block) => block.file)).toEqual(['README.md']);
  });

  it('sh ci: each command of the quick start is one CI runs as it is', () => {
    const ci = readFileSync('.ci/run', 'utf8');
    const ranByCi = (words: string[]) =>
      ci
        .split('\n')
        .some((line) => new RegExp(`(^|[\\s;!(])${words.join('\\s+')}($|[\\s;)])`).test(line.trim()));
    // `npm run demo` is run as it is by the test that holds README's excerpt of its output to it.
    const demoTest = readFileSync('test/integration/docs/demo-output.test.ts', 'utf8');
    const ranByTest = (words: string[]) =>
      words.join(' ') === 'npm run demo' && demoTest.includes("spawn('npm', ['run', 'demo']");
    const commands = withInfo('sh ci').flatMap((block) => commandsOf(block.lines.join('\n'), block.file));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    expect(
      commands.filter((c) => !ranByCi(c.words) && !ranByTest(c.words)).map((c) => c.words.join(' ')),
    ).toEqual([]);
  });

  it('sh, inline and template commands: every command, flag and name matches the AWS CLI, the template and the scripts', () => {
    const commands = checkedCommands();
    expect(commands.filter((c) => c.words[0] === 'aws').length).toBeGreaterThan(3);
    expect(commands.flatMap(check)).toEqual([]);
  });

  it(
    'sh, inline: every npm run with real arguments accepts them (against an endpoint that refuses connections)',
    { timeout: 120_000 },
    async () => {
      const runnable = checkedCommands().filter(
        (c) =>
          c.words[0] === 'npm' &&
          c.words[1] === 'run' &&
          ARGUMENT_CHECKED.includes(c.words[2] ?? '') &&
          // `npm run invoke` alone is the prose naming the command
          (c.words[2] === 'status' || c.words.length > 3) &&
          !c.words.some(isPlaceholder),
      );
      expect(runnable.length).toBeGreaterThan(2);
      // The same command mentioned twice is run once.
      const seen = new Set<string>();
      runnable.splice(
        0,
        runnable.length,
        ...runnable.filter((c) => !seen.has(quote(c.words)) && seen.add(quote(c.words))),
      );
      const env = operatorShellEnv({
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9', // discard: nothing listens
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
        AWS_MAX_ATTEMPTS: '1',
        EMERGENCY_WAIT_SECONDS: '1',
      });
      const runs = await Promise.all(
        runnable.map((c) => runShell(['bash', '-c', quote(c.words)], env, 60_000)),
      );
      const refused = runs
        .map((run, index) => ({ run, command: runnable[index] }))
        .filter(({ run }) => run.code === 2 || run.output.includes('usage:'))
        .map(({ run, command }) => `${command?.where}: ${command?.words.join(' ')}\n${run.output}`);
      expect(refused).toEqual([]);
    },
  );

  describe('sh local', () => {
    const files = [...new Set(withInfo('sh local').map((block) => block.file))];
    it.each(files)(
      '%s: its local recipes run as written, in order, in one shell',
      { timeout: 240_000 },
      async (file) => {
        const recipe = withInfo('sh local')
          .filter((block) => block.file === file)
          .map((block) => `echo "::: ${file}:${block.line}" >&2\n${block.lines.join('\n')}`);
        for (const tool of ['aws', 'moto_server', 'redis-server', 'curl', 'python3'])
          expect(
            spawnSync('sh', ['-c', `command -v ${tool}`]).status,
            `${tool} is needed (pip install awscli for aws)`,
          ).toBe(0);
        const script = join(scratch, `${file.replaceAll('/', '_')}.sh`);
        writeFileSync(script, ['set -eo pipefail', ...recipe].join('\n'));
        const run = await runShell(isolated(script), operatorShellEnv(), 200_000);
        expect({ code: run.code, tail: run.output.split('\n').slice(-40).join('\n') }).toMatchObject({
          code: 0,
        });
      },
    );
  });
});
