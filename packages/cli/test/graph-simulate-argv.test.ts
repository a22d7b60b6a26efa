// Layer 1 for graph and simulate: argv → options and usage errors, without running anything.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.ts';
import { parseArgv } from '../src/program.ts';
import { captureIo } from './helpers.ts';

function parse(argv: string[]) {
  const io = captureIo('/work');
  return { outcome: parseArgv(argv, io), io };
}

describe('graph and simulate argv → options', () => {
  it.each([
    [['graph'], { config: 'kargo-env.yaml', format: 'mermaid' }],
    [['graph', '--format', 'dot'], { config: 'kargo-env.yaml', format: 'dot' }],
    [['graph', '--out', 'p.svg'], { config: 'kargo-env.yaml', format: 'svg', out: 'p.svg' }],
    [['graph', '--out', 'p.gv', '--config', 'k.yaml'], { config: 'k.yaml', format: 'dot', out: 'p.gv' }],
    [['graph', '--format', 'mermaid', '--out', 'p.svg'], { config: 'kargo-env.yaml', format: 'mermaid', out: 'p.svg' }],
    [['simulate', '--push', '1.8.4@0m'], { config: 'kargo-env.yaml', pushes: ['1.8.4@0m'], approvals: [] }],
    [
      ['simulate', '--push', '1.8.3@0m', '--push', '1.8.4@10m', '--approve', 'prod@2h', '--approve', 'staging=1.8.3@5m', '--until', '3h', '--start', '2026-12-01T09:00Z'],
      { config: 'kargo-env.yaml', pushes: ['1.8.3@0m', '1.8.4@10m'], approvals: ['prod@2h', 'staging=1.8.3@5m'], until: '3h', start: '2026-12-01T09:00Z' },
    ],
  ])('%j → %j', (argv, options) => {
    const { outcome, io } = parse(argv);
    expect(outcome).toMatchObject({ kind: 'run', command: argv[0] });
    if (outcome.kind === 'run') expect(outcome.options).toEqual(options);
    expect(io.out() + io.err()).toBe('');
  });

  it.each([
    [['graph', '--format', 'png'], /--format must be one of mermaid, dot, svg/],
    [['graph', '--out', ''], /--out must not be empty/],
    [['simulate'], /give at least one --push/],
    [['simulate', '--approve', 'prod@1h'], /give at least one --push/],
    [['simulate', '--push'], /argument missing/],
  ])('%j is a usage error (exit 2)', (argv, message) => {
    const { outcome, io } = parse(argv);
    expect(outcome).toEqual({ kind: 'exit', code: ExitCode.Usage });
    expect(io.err()).toMatch(message);
  });

  it.each([[['graph', '--help']], [['simulate', '--help']]])('%j shows flags and examples', (argv) => {
    const { outcome, io } = parse(argv);
    expect(outcome).toEqual({ kind: 'exit', code: ExitCode.Ok });
    expect(io.out()).toMatch(/Examples:/);
    expect(io.out()).toMatch(argv[0] === 'graph' ? /--format <format>/ : /--approve <\[pipeline\/\]env\[=tag\]@offset>/);
  });
});
