// Deep-copies a fixture and lets a test change any field, including into invalid shapes.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a draft is edited at arbitrary depths and types on purpose
export type Draft = Record<string, any>;

export function mutate(obj: unknown, change: (draft: Draft) => void): Draft {
  const draft = structuredClone(obj) as Draft;
  change(draft);
  return draft;
}
