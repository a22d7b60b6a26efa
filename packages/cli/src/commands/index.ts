// The command registry: adding a command is one file in this folder plus its line here.
import type { RegisteredCommand } from '../command.ts';
import { doctorCommand } from './doctor.ts';
import { graphCommand } from './graph.ts';
import { initCommand } from './init.ts';
import { promoteCommand, rollbackCommand } from './promote.ts';
import { rehearseCommand } from './rehearse.ts';
import { renderCommand } from './render.ts';
import { simulateCommand } from './simulate.ts';
import { statusCommand } from './status.ts';
import { validateCommand } from './validate.ts';

export const commands: readonly RegisteredCommand[] = [initCommand, renderCommand, validateCommand, graphCommand, simulateCommand, rehearseCommand, doctorCommand, statusCommand, promoteCommand, rollbackCommand];
