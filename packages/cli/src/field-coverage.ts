/**
 * The field-coverage lint for the CLI (`rules validate`): the catalogue from the audit schema and what the real
 * decoders make of representative records (`@bulwark/detection` field-catalogue.ts, field-lint.ts).
 */
import { buildFieldCatalogue, ruleFieldProblems, type SigmaProblem, type SigmaRule } from '@bulwark/detection';
import { decodedFieldSamples } from '@bulwark/ingest';

export function fieldProblems(rules: readonly SigmaRule[]): SigmaProblem[] {
  return ruleFieldProblems(rules, buildFieldCatalogue(decodedFieldSamples()));
}
