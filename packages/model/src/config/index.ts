// Public surface of the pipeline config (kargo-env.yaml).
export {
  DEFAULT_KARGO_RECEIVER_SECRET_ENV,
  DEFAULT_KARGO_WEBHOOKS_BASE_URL,
  DEFAULT_KARGO_WEBHOOKS_CA_FILE,
  KARGO_PALETTE,
  NotificationType,
  PIPELINE_CONFIG_API_VERSION,
  PIPELINE_CONFIG_FILENAME,
  PIPELINE_CONFIG_KIND,
  PIPELINE_CONFIG_SCHEMA_ID,
  PRESET_IMAGES,
  PromotionMode,
  RelayTargetKind,
  SCAN_SEVERITIES,
  ServiceType,
  VerificationPreset,
  WEEKDAYS,
  WindowKind,
  type KargoPaletteColor,
  type ScanSeverity,
  type Weekday,
} from './constants.ts';
export {
  DEFAULT_DESTINATION_SERVER,
  DEFAULT_RESOURCES,
  DEFAULT_SEMVER_CONSTRAINT,
  DEFAULT_VALUES_DIR,
  defaultEnvironments,
  normalisePipelineConfig,
} from './defaults.ts';
export { DURATION_PATTERN, formatDuration, parseDuration } from './duration.ts';
export { pipelineConfigJsonSchema, pipelineConfigJsonSchemaText } from './json-schema.ts';
export { applicationName, branchNameProblem, defaultEnvBranch, environmentBranch, isDnsLabel, isProductionName, valuesPath } from './names.ts';
export { parsePipelineConfig, validatePipelineConfig, type ParsePipelineConfigOptions } from './parse.ts';
export { ConfigRuleCode, checkPipelineRules, type RuleViolation } from './rules.ts';
export {
  ColorSchema,
  DnsLabelSchema,
  DnsSubdomainSchema,
  DurationSchema,
  EnvironmentInputSchema,
  PipelineConfigInputSchema,
  PipelineConfigSchema,
  PipelineInputSchema,
  RelayInputSchema,
  RelayKargoWebhookInputSchema,
  ResolvedEnvironmentSchema,
  ResolvedPipelineSchema,
  ResolvedRelaySchema,
  type DeploymentWindow,
  type EnvironmentInput,
  type EnvironmentNotification,
  type EnvironmentVerification,
  type ParsedPipelineConfig,
  type Pipeline,
  type PipelineConfig,
  type PipelineChartSource,
  type PipelineConfigInput,
  type PipelineEnvironment,
  type PipelineInput,
  type PipelineRelaySettings,
  type RelayInput,
  type VerificationInput,
  type WindowInput,
} from './schema.ts';
export { defaultSchemaUrl, renderStarterConfig, type StarterConfigOptions } from './starter.ts';
