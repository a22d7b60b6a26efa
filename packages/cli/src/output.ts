// The CLI's one output module: results to stdout, diagnostics to stderr, JSON for machines, colour only
// when the stream is a terminal and NO_COLOR is unset.
import { styleText } from 'node:util';
import type { Issue } from '@kargo/model';
import type { Io, TextSink } from './io.ts';

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/**
 * Whether to colour a stream, following https://no-color.org (any non-empty NO_COLOR disables) and the
 * common FORCE_COLOR convention; otherwise only terminals get colour.
 */
export function colorEnabled(env: Io['env'], sink: TextSink): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env['TERM'] === 'dumb') return false;
  return sink.isTTY === true;
}

export interface Painter {
  (style: Style, text: string): string;
}

function painter(enabled: boolean): Painter {
  return (style, text) => (enabled ? styleText(style, text, { validateStream: false }) : text);
}

export interface OutputOptions {
  /** Machine mode: stdout carries exactly one JSON document. */
  readonly json: boolean;
}

/** Printing for one invocation; commands never touch stdout or stderr directly. */
export class Output {
  readonly json: boolean;
  /** Colours for stdout text. */
  readonly paint: Painter;
  /** Colours for stderr text. */
  readonly paintErr: Painter;
  readonly #io: Io;

  constructor(io: Io, options: OutputOptions) {
    this.#io = io;
    this.json = options.json;
    this.paint = painter(colorEnabled(io.env, io.stdout));
    this.paintErr = painter(colorEnabled(io.env, io.stderr));
  }

  /** A human result line (suppressed in JSON mode, where `data` is the result). */
  result(text: string): void {
    if (!this.json) this.#io.stdout.write(ensureNewline(text));
  }

  /** Raw text that is itself the result (a YAML stream for `render --stdout`). */
  raw(text: string): void {
    this.#io.stdout.write(text);
  }

  /** The machine result; written only in JSON mode. */
  data(value: unknown): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A diagnostic line on stderr. */
  note(text: string): void {
    this.#io.stderr.write(ensureNewline(text));
  }

  error(message: string, hint?: string): void {
    this.note(`${this.paintErr('red', 'error:')} ${message}`);
    if (hint !== undefined) this.note(`${this.paintErr('dim', 'hint:')} ${hint}`);
  }

  /**
   * Located problems as `file:line:col: severity: path: message`, errors and warnings alike. Async because
   * the model (and its formatter) is loaded lazily to keep `--help` fast; by the time issues exist it is loaded.
   */
  async issues(issues: readonly Issue[]): Promise<void> {
    if (issues.length === 0) return;
    const { formatIssue } = await import('@kargo/model');
    for (const issue of issues) {
      const line = formatIssue(issue);
      const marker = `${issue.severity}:`;
      const at = line.indexOf(marker);
      const colour = issue.severity === 'error' ? 'red' : 'yellow';
      this.note(at < 0 ? line : `${line.slice(0, at)}${this.paintErr(colour, marker)}${line.slice(at + marker.length)}`);
    }
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
