import { Construct } from 'constructs';
import { Annotation, KARGO_API_VERSION } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName } from './api-object.ts';

/** A GitHub webhook receiver on the ProjectConfig (the relay re-signs GHCR `package` events to it). */
export interface GitHubReceiverProps {
  /** Receiver name, unique in the ProjectConfig. */
  readonly name: string;
  /** Secret in the Project namespace holding the HMAC key under `secret`. */
  readonly secretName: string;
}

export interface KargoProjectProps {
  /** Project name; also the namespace Kargo creates and the ProjectConfig's name and namespace. */
  readonly name: string;
  /** Every Stage of the project, in promotion order; auto-promoted ones must be among them. */
  readonly stages: readonly string[];
  /** Stages that auto-promote. Each gets a promotion policy; the others get none (manual). @default [] */
  readonly autoPromotedStages?: readonly string[];
  /** GitHub receiver to add to the ProjectConfig. @default none */
  readonly githubReceiver?: GitHubReceiverProps;
}

/**
 * A Kargo Project and its ProjectConfig. Auto-promotion can only be switched on here (Kargo ≥ 1.7
 * removed Project.spec), so the policies list exactly the auto Stages, selected by exact name.
 */
export class KargoProject extends Construct {
  readonly projectName: string;

  constructor(scope: Construct, id: string, props: KargoProjectProps) {
    super(scope, id);
    checkName('KargoProject', props.name);
    const auto = props.autoPromotedStages ?? [];
    for (const stage of auto) {
      if (!props.stages.includes(stage)) {
        throw invalidProps('KargoProject', props.name, `auto-promoted stage "${stage}" is not one of its stages (${props.stages.join(', ')})`);
      }
    }
    if (new Set(auto).size !== auto.length) throw invalidProps('KargoProject', props.name, 'an auto-promoted stage is listed twice');
    this.projectName = props.name;

    addManifest(this, 'Project', {
      apiVersion: KARGO_API_VERSION,
      kind: 'Project',
      // The Project creates the namespace everything else lives in, so Argo CD applies it first.
      metadata: { name: props.name, annotations: { [Annotation.syncWave]: '-1' } },
    });

    const spec: Record<string, unknown> = {};
    // Policies follow the Stage order of the pipeline, not the order the caller listed them.
    const policies = props.stages
      .filter((s) => auto.includes(s))
      .map((stage) => ({ stageSelector: { name: stage }, autoPromotionEnabled: true }));
    if (policies.length > 0) spec.promotionPolicies = policies;
    if (props.githubReceiver !== undefined) {
      checkName('KargoProject webhook receiver', props.githubReceiver.name, 'subdomain');
      checkName('KargoProject webhook secret', props.githubReceiver.secretName, 'subdomain');
      spec.webhookReceivers = [{ name: props.githubReceiver.name, github: { secretRef: { name: props.githubReceiver.secretName } } }];
    }
    addManifest(this, 'ProjectConfig', {
      apiVersion: KARGO_API_VERSION,
      kind: 'ProjectConfig',
      metadata: { name: props.name, namespace: props.name },
      spec,
    });
  }
}
