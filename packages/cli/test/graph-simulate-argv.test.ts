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
    [['graph', '--out', 'docs/P.SVG'], { config: 'kargo-env.yaml', format: 'svg', out: 'docs/P.SVG' }],
    [['graph', '--out', 'p.mermaid'], { config: 'kargo-env.yaml', format: 'mermaid', out: 'p.mermaid' }],
    [['graph', '--out', 'PIPELINE.md'], { config: 'kargo-env.yaml', format: 'markdown', out: 'PIPELINE.md' }],
    [['graph', '--format', 'markdown'], { config: 'kargo-env.yaml', format: 'markdown' }],
    [['graph', '--format', 'svg', '--out', 'p.svg'], { config: 'kargo-env.yaml', format: 'svg', out: 'p.svg' }],
    // An extension that names no graph format does not contradict an explicit --format.
    [['graph', '--format', 'dot', '--out', 'graph.txt'], { config: 'kargo-env.yaml', format: 'dot', out: 'graph.txt' }],
    [['graph', '--format', 'mermaid', '--out', 'pipeline'], { config: 'kargo-env.yaml', format: 'mermaid', out: 'pipeline' }],
    [['simulate', '--push', '1.8.4@0m'], { config: 'kargo-env.yaml', pushes: ['1.8.4@0m'], approvals: [] }],
    [['simulate', '--push', '1.8.4@sha256:b@0m', '--out', 'deploy/kargo'], { config: 'kargo-env.yaml', pushes: ['1.8.4@sha256:b@0m'], approvals: [], out: 'deploy/kargo' }],
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
    // The format comes from --out's extension; one that names no format is refused rather than guessed.
    [['graph', '--out', 'p.png'], /--out p\.png: kargo-env graph does not write \.png files; give --out a file ending in \.mmd or \.mermaid \(mermaid\), \.dot or \.gv \(dot\), \.svg \(svg\), \.md or \.markdown \(markdown\)/],
    [['graph', '--out', 'p.pdf'], /hint: to get a PDF, pipe DOT into Graphviz: kargo-env graph --format dot \| dot -Tpdf -o p\.pdf/],
    [['graph', '--out', 'graph.txt'], /--out graph\.txt: \.txt names no graph format; give --format \(mermaid, dot, svg, markdown\) or end the file name in \.mmd or \.mermaid/],
    [['graph', '--out', 'pipeline'], /--out pipeline has no extension to tell the format; give --format \(mermaid, dot, svg, markdown\)/],
    [['graph', '--format', 'mermaid', '--out', 'p.svg'], /--format mermaid contradicts --out p\.svg \(\.svg is svg\)/],
    [['graph', '--format', 'markdown', '--out', 'p.mmd'], /--format markdown contradicts --out p\.mmd \(\.mmd is mermaid\)/],
    [['graph', '--format', 'svg', '--out', 'p.png'], /--out p\.png: kargo-env graph does not write \.png files/],
    [['simulate', '--push', '1.8.4', '--out', ''], /--out must not be empty/],
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
