// Public surface of the offline pipeline simulation.
export {
  ApprovalOutcome,
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
  IMAGE_TAG_PATTERN,
  START_PATTERN,
  SimulationApprovalSchema,
  SimulationInputSchema,
  SimulationPushSchema,
  parseApprovalSpec,
  parseOffset,
  parsePushSpec,
  type ParsedSimulationInput,
  type SimulationApproval,
  type SimulationInput,
  type SimulationPush,
} from './input.ts';
export { blockingWindows, nextSyncTime, syncAllowed, windowActive } from './windows.ts';
