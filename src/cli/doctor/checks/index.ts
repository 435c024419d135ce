/**
 * The doctor checks, in the order they run and print. Adding a check: one file beside this one that exports a
 * DoctorCheck, and its line here.
 */
import type { DoctorCheck } from '../types.js';
import { auditCheck } from './audit.js';
import { clientsCheck } from './clients.js';
import { configCheck } from './config.js';
import { detectionCheck } from './detection.js';
import { identityCheck } from './identity.js';
import { judgesCheck } from './judges.js';
import { launchersCheck } from './launchers.js';
import { llmCheck } from './llm.js';
import { oauthCheck } from './oauth.js';
import { permissionsCheck } from './permissions.js';
import { pinsCheck } from './pins.js';
import { providersCheck } from './providers.js';
import { referencesCheck } from './references.js';
import { sandboxCheck } from './sandbox.js';
import { stateCheck } from './state.js';
import { upstreamsCheck } from './upstreams.js';
import { vaultCheck } from './vault.js';

export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  configCheck,
  referencesCheck,
  permissionsCheck,
  vaultCheck,
  identityCheck,
  stateCheck,
  auditCheck,
  upstreamsCheck,
  oauthCheck,
  pinsCheck,
  launchersCheck,
  sandboxCheck,
  providersCheck,
  llmCheck,
  detectionCheck,
  judgesCheck,
  clientsCheck,
];
