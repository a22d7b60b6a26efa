// Layer 1: argv → options, defaults and usage errors, without running anything.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.ts';
import { parseArgv } from '../src/program.ts';
import { captureIo } from './helpers.ts';

function parse(argv: string[]) {
  const io = captureIo('/work');
  return { outcome: parseArgv(argv, io), io };
}

describe('argv → options', () => {
  it.each([
    [['render'], { config: 'kargo-env.yaml', out: 'kargo', mode: 'write' }],
    [['render', '--config', 'a.yaml'], { config: 'a.yaml', out: 'kargo', mode: 'write' }],
    [['render', '--config=a.yaml', '--out', 'deploy/k'], { config: 'a.yaml', out: 'deploy/k', mode: 'write' }],
    [['render', '--check'], { config: 'kargo-env.yaml', out: 'kargo', mode: 'check' }],
    [['render', '--stdout'], { config: 'kargo-env.yaml', out: 'kargo', mode: 'stdout' }],
    [['render', '--json'], { config: 'kargo-env.yaml', out: 'kargo', mode: 'write' }],
    [['validate'], { config: 'kargo-env.yaml' }],
    [['validate', '--config', 'x/y.yaml'], { config: 'x/y.yaml' }],
    [['validate', '--manifests'], { config: 'kargo-env.yaml', manifests: ['kargo'] }],
    [['validate', '--manifests', 'kargo/', 'extra/stage.yaml'], { config: 'kargo-env.yaml', manifests: ['kargo/', 'extra/stage.yaml'] }],
    [['validate', '--manifests', 'k', '--json'], { config: 'kargo-env.yaml', manifests: ['k'] }],
    [['init'], { config: 'kargo-env.yaml', app: undefined, image: undefined, repo: undefined, force: false }],
    [
      ['init', '--app', 'web', '--image', 'ghcr.io/o/web', '--repo', 'https://github.com/o/web', '--force', '--config', 'k.yaml'],
      { config: 'k.yaml', app: 'web', image: 'ghcr.io/o/web', repo: 'https://github.com/o/web', force: true },
    ],
  ])('%j → %j', (argv, options) => {
    const { outcome, io } = parse(argv);
    expect(outcome.kind).toBe('run');
    if (outcome.kind !== 'run') return;
    expect(outcome.command).toBe(argv[0]);
    expect(outcome.options).toEqual(options);
    expect(io.out() + io.err()).toBe('');
  });

  it('reads --json as output mode, not an option of the run', () => {
    const { outcome } = parse(['validate', '--json']);
    expect(outcome).toMatchObject({ kind: 'run', json: true, options: { config: 'kargo-env.yaml' } });
    expect(parse(['validate']).outcome).toMatchObject({ kind: 'run', json: false });
  });

  it.each([
    [['render', '--bogus'], /unknown option '--bogus'/],
    [['render', '--config'], /option '--config <path>' argument missing/],
    [['render', '--out'], /argument missing/],
    [['render', '--check', '--stdout'], /--check and --stdout cannot be combined/],
    [['render', '--config', ''], /--config must not be empty/],
    [['render', 'extra'], /too many arguments/],
    [['init', '--image', ''], /--image must not be empty/],
    [['validate', '--out', 'k'], /unknown option '--out'/],
    [['deploy'], /unknown command 'deploy'/],
    [[], /Usage: kargo-env/],
  ])('%j is a usage error (exit 2)', (argv, message) => {
    const { outcome, io } = parse(argv);
    expect(outcome).toEqual({ kind: 'exit', code: ExitCode.Usage });
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });

  it.each([[['--help']], [['render', '--help']], [['init', '-h']], [['validate', '--help']]])('%j prints help with examples on stdout (exit 0)', (argv) => {
    const { outcome, io } = parse(argv);
    expect(outcome).toEqual({ kind: 'exit', code: ExitCode.Ok });
    expect(io.out()).toMatch(/Usage: kargo-env/);
    expect(io.out()).toMatch(/Examples:\n {2}# .+\n {2}\$ kargo-env /);
    expect(io.err()).toBe('');
  });

  it('top-level help describes and shows every command, graph and simulate included', () => {
    const { io } = parse(['--help']);
    expect(io.out()).toMatch(/^Initialise, render, validate, graph and simulate /m);
    for (const name of ['init', 'render', 'validate', 'graph', 'simulate']) expect(io.out()).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    expect(io.out()).toMatch(/\$ kargo-env graph\n/);
    expect(io.out()).toMatch(/\$ kargo-env simulate --push 1\.8\.4@0m\n/);
  });

  it('prints the package version', () => {
    const { outcome, io } = parse(['--version']);
    expect(outcome).toEqual({ kind: 'exit', code: ExitCode.Ok });
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('suggests the closest command for a typo', () => {
    const { io } = parse(['rendr']);
    expect(io.err()).toMatch(/Did you mean render\?/);
  });
});
