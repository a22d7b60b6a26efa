// Public surface of the offline pipeline simulation.
export {
  ApprovalOutcome,
  InitialTagSource,
  PromotionTrigger,
  RejectionReason,
  formatMinutes,
  simulatePipeline,
  type PendingPromotion,
  type SimulatedApproval,
  type SimulatedChange,
  type SimulatedEnvironment,
  type SimulatedFreight,
  type SimulatedPromotion,
  type SimulatedRejection,
  type SimulatedWarehouse,
  type SimulationResult,
} from './engine.ts';
export { describeChange, formatInstant, formatSimulation } from './format.ts';
export {
  DEFAULT_SIMULATION_START,
  DIGEST_PATTERN,
  IMAGE_TAG_PATTERN,
  START_PATTERN,
  SimulationApprovalSchema,
  SimulationInputSchema,
  SimulationPushSchema,
  SimulationStartTagSchema,
  parseApprovalSpec,
  parseOffset,
  parsePushSpec,
  type ParsedSimulationInput,
  type SimulationApproval,
  type SimulationInput,
  type SimulationPush,
  type SimulationStartTag,
} from './input.ts';
export { valuesFileTag, valuesFileTags } from './start.ts';
export { blockingWindows, nextSyncTime, syncAllowed, windowActive } from './windows.ts';
