// The webhook relay's routes file: schema, types and parser.
export {
  KargoWebhookTargetSchema,
  KubernetesTargetSchema,
  LogTargetSchema,
  RelayRouteSchema,
  RelayRoutesSchema,
  RelayTargetSchema,
  relayTargetKey,
  relayTargetLabel,
  type KargoWebhookTarget,
  type KubernetesTarget,
  type LogTarget,
  type RelayRoute,
  type RelayRoutes,
  type RelayRoutesInput,
  type RelayTarget,
} from './schema.ts';
export { parseRelayRoutes, type ParseRelayRoutesOptions } from './parse.ts';
