/**
 * Reads `helm template` output on stdin and prints, one `<secret> <key>` a line, every Secret key
 * the rendered pods reference that the chart does not render itself: what an operator creates
 * before installing (scripts/check-chart-live.sh creates them; kwok would run the pods without).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface SecretKeyRef {
  name: string;
  key: string;
}
interface Container {
  env?: { valueFrom?: { secretKeyRef?: SecretKeyRef } }[];
}
interface Manifest {
  kind?: string;
  metadata?: { name?: string };
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
}

const manifests = parseAllDocuments(readFileSync(0, 'utf8'))
  .map((document) => document.toJS() as Manifest | null)
  .filter((manifest): manifest is Manifest => manifest !== null);
const rendered = new Set(manifests.filter((m) => m.kind === 'Secret').map((m) => m.metadata?.name));
const wanted = new Set<string>();
for (const manifest of manifests) {
  const pod = manifest.spec?.template?.spec;
  for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref !== undefined && !rendered.has(ref.name)) wanted.add(`${ref.name} ${ref.key}`);
    }
  }
}
for (const line of [...wanted].sort()) process.stdout.write(`${line}\n`);
