import { describe, expect, it } from 'vitest';
import { formatIssue, formatPath } from '../src/index.ts';

describe('formatPath', () => {
  it.each([
    [['pipelines', 0, 'environments', 2, 'soak'], 'pipelines[0].environments[2].soak'],
    [[], ''],
    [['metadata', 'annotations', 'kargo.akuity.io/color'], 'metadata.annotations["kargo.akuity.io/color"]'],
  ])('%j → %s', (segments, expected) => {
    expect(formatPath(segments)).toBe(expected);
  });
});

describe('formatIssue', () => {
  it('puts file, line and column first', () => {
    expect(
      formatIssue({ path: 'pipelines[0].image', message: 'Required', severity: 'error', code: 'invalid_type', file: 'kargo-env.yaml', line: 4, column: 5 }),
    ).toBe('kargo-env.yaml:4:5: error: pipelines[0].image: Required');
  });
});
