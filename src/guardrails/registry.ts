/**
 * Builds a policy's guardrails: the local detectors with their actions for arguments and for results, and the
 * remote providers the policy names. One detector instance serves both directions (detectors are stateless).
 */
import type { GuardrailActionConfig, Policy } from '../config/schema.js';
import { createInjectionDetector } from './injection.js';
import { createKeywordDetector } from './keywords.js';
import { createPiiDetector } from './pii.js';
import { createSecretsDetector } from './secrets.js';
import type { DetectorRule, GuardrailOptions, ProviderRule } from './stage.js';
import { createToxicityDetector } from './toxicity.js';
import type { AsyncDetector, Detector } from './types.js';

export interface PolicyGuardrails {
  input: GuardrailOptions;
  output: GuardrailOptions;
}

function rule(detector: Detector, cfg: GuardrailActionConfig): DetectorRule {
  return typeof cfg === 'string'
    ? { detector, action: cfg, mode: 'enforce' }
    : { detector, action: cfg.action, mode: cfg.mode };
}

/**
 * `content`: what the output guardrails will read. `prompt`: the messages of prompts/get, which set the model a task
 * by design, so the injection detector does not count the task itself (see InjectionOptions.ignoreRules).
 */
export function buildGuardrails(
  policy: Policy,
  providers: ReadonlyMap<string, AsyncDetector> = new Map(),
  content: 'results' | 'prompt' = 'results',
): PolicyGuardrails {
  const d = policy.detectors;
  const detectors = {
    injection: createInjectionDetector({
      ...(d.injection.threshold === undefined ? {} : { threshold: d.injection.threshold }),
      ...(content === 'prompt' ? { ignoreRules: ['injection.task-injection'] } : {}),
      model: {
        enabled: d.injection.model.enabled,
        ...(d.injection.model.threshold === undefined ? {} : { threshold: d.injection.model.threshold }),
        ...(d.injection.model.path === undefined ? {} : { path: d.injection.model.path }),
        // A prompt's messages set the model a task by design: read them as a prompt, not as data.
        ...(content === 'prompt' ? { as: 'input' as const } : {}),
      },
    }),
    pii: createPiiDetector({
      ...(d.pii.entities ? { entities: d.pii.entities } : {}),
      ...(d.pii.custom ? { custom: d.pii.custom } : {}),
      ...(d.pii.defaultRegion ? { defaultRegion: d.pii.defaultRegion } : {}),
    }),
    secrets: createSecretsDetector({
      ...(d.secrets.allow ? { allow: d.secrets.allow } : {}),
      ...(d.secrets.disable ? { disable: d.secrets.disable } : {}),
    }),
    keywords: createKeywordDetector({ deny: d.keywords.deny, topics: d.keywords.topics }),
    toxicity: createToxicityDetector(),
  };
  const ids = ['injection', 'pii', 'secrets', 'keywords', 'toxicity'] as const;
  const remote = (names: string[]): ProviderRule[] =>
    names.map((name) => {
      const provider = providers.get(name);
      if (!provider) throw new Error(`guardrail provider "${name}" is not configured`);
      return { provider, mode: policy.providers.mode };
    });
  return {
    input: { rules: ids.map((id) => rule(detectors[id], policy.input[id])), providers: remote(policy.providers.input) },
    output: {
      rules: ids.map((id) => rule(detectors[id], policy.output[id])),
      providers: remote(policy.providers.output),
      recordTaint: policy.dataFlow.action !== 'off',
    },
  };
}
