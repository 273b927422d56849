/**
 * The files generated from the BurstScaler schema, with their paths relative to the repository root.
 * `spillway crd --write` (npm run crd) writes them; a test fails when the committed copies differ.
 */
import { renderCrdYaml } from './crd.ts';
import { renderReferenceDoc } from './reference-doc.ts';

/** A generated file: where it lives in the repository and what it holds. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** The CRD and the reference documentation, freshly generated. */
export function generatedFiles(): GeneratedFile[] {
  return [
    { path: 'deploy/crds/burstscaler.yaml', content: renderCrdYaml() },
    { path: 'docs/reference/burstscaler.md', content: renderReferenceDoc() },
  ];
}
