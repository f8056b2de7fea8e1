/** Finding things in a rendered chart: objects by kind and component, a Deployment's container and env. */
import { readdirSync } from 'node:fs';
import { CHART_DIR, type Manifest } from '../support/helm.js';

/** Every value set the chart ships for CI, as paths relative to the chart. */
export const VALUE_SETS = readdirSync(`${CHART_DIR}ci`)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => `ci/${name}`);

export const COMPONENTS = ['gateway', 'ingest', 'discovery'] as const;
export type Component = (typeof COMPONENTS)[number];
export const OPS_PORTS: Record<Component, number> = { gateway: 9988, ingest: 9987, discovery: 9990 };

export function ofKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((manifest) => manifest.kind === kind);
}

export function componentObject(manifests: Manifest[], kind: string, component: string): Manifest {
  const found = ofKind(manifests, kind).filter(
    (manifest) =>
      manifest.metadata.labels?.['app.kubernetes.io/component'] === component &&
      !manifest.metadata.name.endsWith('-metrics'),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} for ${component}, found ${found.length}`);
  return found[0] as Manifest;
}

// biome-ignore lint/suspicious/noExplicitAny: a container is read field by field
export function onlyContainer(deployment: Manifest): any {
  const containers = deployment.spec.template.spec.containers;
  if (containers.length !== 1)
    throw new Error(`${deployment.metadata.name} has ${containers.length} containers`);
  return containers[0];
}

/** What the container's environment resolves to from its ConfigMaps and literal values (not Secrets). */
export function plainEnv(manifests: Manifest[], deployment: Manifest): Record<string, string> {
  const container = onlyContainer(deployment);
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const configMap = ofKind(manifests, 'ConfigMap').find((manifest) => manifest.metadata.name === name);
    if (configMap === undefined)
      throw new Error(`${deployment.metadata.name}: ConfigMap ${name} is not rendered`);
    Object.assign(env, configMap.data);
  }
  for (const variable of container.env ?? [])
    if (variable.value !== undefined) env[variable.name] = variable.value;
  return env;
}

// biome-ignore lint/suspicious/noExplicitAny: an env entry is read field by field
export function envEntry(deployment: Manifest, name: string): any {
  return onlyContainer(deployment).env?.find((variable: { name: string }) => variable.name === name);
}
