// Compile-time checks (run by `pnpm typecheck`): the model's types reject what its schemas reject.
// Each `@ts-expect-error` fails the typecheck if the line below it ever compiles.
import { describe, expect, test } from 'vitest';
import {
  PromotionStepSchema,
  type BuiltinPromotionStep,
  type GitCloneConfig,
  type GitPushConfig,
  type PromotionStep,
  type PromotionPolicy,
  type StageColor,
  type StepName,
  type Subscription,
  type WebhookReceiver,
} from '../src/index.ts';

describe('types', () => {
  test('a git-push step with `branch` is a type error and a validation error', () => {
    const wrong = {
      uses: 'git-push',
      // @ts-expect-error -- the schema's field is targetBranch
      config: { branch: 'main', path: './out' },
    } satisfies PromotionStep;
    const result = PromotionStepSchema.safeParse(wrong);
    expect(result.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['branch'], path: ['config'] })]);

    const right: PromotionStep = { uses: 'git-push', config: { targetBranch: 'main', path: './out' } };
    expect(PromotionStepSchema.safeParse(right).success).toBe(true);
  });

  test('typed rules beyond field names', () => {
    // @ts-expect-error -- unknown step names are not StepNames
    const unknownStep: StepName = 'helm-update-image';
    // @ts-expect-error -- a step cannot set both uses and task
    const both: PromotionStep = { uses: 'fail', task: { name: 'x' } };
    // @ts-expect-error -- task steps take no retry
    const taskRetry: PromotionStep = { task: { name: 'x' }, retry: { timeout: '1m' } };
    // @ts-expect-error -- Promotion steps cannot reference tasks
    const builtinTask: BuiltinPromotionStep = { task: { name: 'x' } };
    // @ts-expect-error -- exactly one subscription type
    const twoTypes: Subscription = { image: { repoURL: 'nginx' }, git: { repoURL: 'https://x/y' } };
    // @ts-expect-error -- exactly one receiver type
    const twoReceivers: WebhookReceiver = { name: 'r', github: { secretRef: { name: 's' } }, gitlab: { secretRef: { name: 's' } } };
    // @ts-expect-error -- stage XOR stageSelector
    const policy: PromotionPolicy = { stage: 'a', stageSelector: { name: 'a' } };
    // @ts-expect-error -- not a palette colour
    const colour: StageColor = 'magenta';
    // @ts-expect-error -- a boolean field takes a boolean or an expression, not any string
    const flag: GitCloneConfig['blobless'] = 'yes';
    const exprFlag: GitCloneConfig['blobless'] = '${{ vars.blobless }}';
    const attempts: GitPushConfig['maxAttempts'] = '${% vars.attempts %}';
    expect([unknownStep, both, taskRetry, builtinTask, twoTypes, twoReceivers, policy, colour, flag, exprFlag, attempts]).toHaveLength(11);
  });
});
