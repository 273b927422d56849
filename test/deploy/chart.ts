/**
 * The Helm chart (charts/spillway) generated from the kustomize base (deploy/base), so the two cannot
 * drift: each base file becomes one template with a few fields turned into values ("holes"), the CRD is
 * copied to the chart's crds/, and values.yaml takes its defaults from the base. A test renders both and
 * checks they produce the same objects, and that the committed chart equals a fresh generation.
 *
 * Write it with `node_modules/.bin/node test/deploy/generate-chart.ts --write`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { Document, isMap, isScalar, parse, parseAllDocuments, visit } from 'yaml';
import { REPO } from './tools.ts';

/** Where the chart lives, relative to the repository. */
export const CHART_DIR = 'charts/spillway';
/** The kustomize base the chart is generated from. */
export const BASE_DIR = 'deploy/base';
/** The namespace the base installs into; the chart uses the release namespace instead. */
export const BASE_NAMESPACE = 'spillway-system';

/** A generated file: its path relative to the repository and its content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

type Json = Record<string, unknown>;

/** One source file of the base, as listed (transitively) in deploy/base/kustomization.yaml. */
interface SourceFile {
  /** Relative to the repository. */
  path: string;
  /** Where it goes in the chart. */
  role: 'crd' | 'template';
}

/** How a hole is rendered in the template. */
type Render =
  /** `key: {{ expr }}` */
  | { mode: 'inline'; expr: string }
  /** `key:` then `{{- expr | nindent … }}` (expr yields YAML, e.g. `toYaml .Values.resources`) */
  | { mode: 'block'; expr: string }
  /** The key only when `value` is non-empty: a scalar (quoted) or a block. */
  | { mode: 'optional'; value: string; block: boolean };

/** A field of one kind of object turned into a value. */
interface Hole {
  kind: string;
  path: (string | number)[];
  render: Render;
  /** The base lacks this field: the hole adds it (only `optional` holes may). */
  insert?: true;
}

/** Documents of these kinds render only when the value is true. */
const CONDITIONS: Record<string, string> = {
  Namespace: '.Values.namespace.create',
  PodDisruptionBudget: '.Values.podDisruptionBudget.enabled',
  NetworkPolicy: '.Values.networkPolicy.enabled',
  ServiceMonitor: '.Values.serviceMonitor.enabled',
  PrometheusRule: '.Values.prometheusRule.enabled',
  ConfigMap: '.Values.dashboards.enabled',
};

const CONTAINER = ['spec', 'template', 'spec', 'containers', 0];

function get(object: unknown, path: (string | number)[]): unknown {
  let at = object;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

const goString = (value: string): string => JSON.stringify(value);

/** The holes, given the base objects (some expressions carry base values, e.g. the fixed args). */
function holes(objects: Json[]): Hole[] {
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const labelsOf = (kind: string) =>
    get(
      objects.find((o) => o.kind === kind),
      ['metadata', 'labels'],
    ) as Record<string, string> | undefined;
  const args = (get(deployment, [...CONTAINER, 'args']) as string[] | undefined) ?? [];
  const dict = (labels: Record<string, string>): string =>
    `(dict ${Object.entries(labels)
      .map(([k, v]) => `${goString(k)} ${goString(v)}`)
      .join(' ')})`;
  return [
    {
      kind: 'ServiceAccount',
      path: ['metadata', 'annotations', 'azure.workload.identity/client-id'],
      render: { mode: 'inline', expr: '.Values.azureWorkloadIdentity.clientId | quote' },
    },
    {
      kind: 'ServiceAccount',
      path: ['metadata', 'annotations', 'azure.workload.identity/tenant-id'],
      render: { mode: 'optional', value: '.Values.azureWorkloadIdentity.tenantId', block: false },
      insert: true,
    },
    {
      kind: 'Deployment',
      path: ['spec', 'replicas'],
      render: { mode: 'inline', expr: '.Values.replicaCount' },
    },
    {
      kind: 'Deployment',
      path: [...CONTAINER, 'image'],
      render: {
        mode: 'inline',
        expr: 'printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote',
      },
    },
    {
      kind: 'Deployment',
      path: [...CONTAINER, 'imagePullPolicy'],
      render: { mode: 'inline', expr: '.Values.image.pullPolicy' },
    },
    {
      kind: 'Deployment',
      path: [...CONTAINER, 'args'],
      render: {
        mode: 'block',
        expr: `toYaml (concat (list ${args.map(goString).join(' ')}) .Values.extraArgs)`,
      },
    },
    {
      kind: 'Deployment',
      path: [...CONTAINER, 'envFrom'],
      render: { mode: 'optional', value: '.Values.envFrom', block: true },
      insert: true,
    },
    {
      kind: 'Deployment',
      path: [...CONTAINER, 'resources'],
      render: { mode: 'block', expr: 'toYaml .Values.resources' },
    },
    {
      kind: 'ServiceMonitor',
      path: ['metadata', 'labels'],
      render: {
        mode: 'block',
        expr: `toYaml (merge ${dict(labelsOf('ServiceMonitor') ?? {})} .Values.serviceMonitor.labels)`,
      },
    },
    {
      kind: 'PrometheusRule',
      path: ['metadata', 'labels'],
      render: {
        mode: 'block',
        expr: `toYaml (merge ${dict(labelsOf('PrometheusRule') ?? {})} .Values.prometheusRule.labels)`,
      },
    },
    {
      kind: 'ServiceMonitor',
      path: ['spec', 'endpoints', 0, 'interval'],
      render: { mode: 'inline', expr: '.Values.serviceMonitor.interval | quote' },
    },
  ];
}

/** The files of the base, following directories that have their own kustomization.yaml. */
export function baseSources(): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    const kustomization = parse(readFileSync(join(REPO, dir, 'kustomization.yaml'), 'utf8')) as {
      resources?: string[];
    };
    for (const entry of kustomization.resources ?? []) {
      const path = relative(REPO, join(REPO, dir, entry));
      if (existsSync(join(REPO, path, 'kustomization.yaml'))) walk(path);
      else out.push({ path, role: path.startsWith('deploy/crds/') ? 'crd' : 'template' });
    }
  };
  walk(BASE_DIR);
  return out;
}

/** The base's objects, as kustomize would render them (the base has no transformers). */
export function baseObjects(): Json[] {
  return baseSources().flatMap((source) =>
    parseAllDocuments(readFileSync(join(REPO, source.path), 'utf8'))
      .map((doc) => doc.toJS() as Json | null)
      .filter((o): o is Json => o !== null),
  );
}

/** `{{` and `}}` in the source (Prometheus legends, alert annotations) must reach the output verbatim. */
const escapeBraces = (text: string): string =>
  text.replace(/\{\{|\}\}/g, (m) => (m === '{{' ? '{{`{{`}}' : '{{`}}`}}'));

const HOLE_LINE = /^( *)(- )?([^\s:#'"][^:]*|"[^"]*"|'[^']*'): (HELMHOLE\d+X)$/gm;

/** One document of a base file → its template text (holes filled, wrapped in its condition). */
function templateDocument(doc: Document, holeList: Hole[], where: string): string {
  const object = doc.toJS() as Json;
  const kind = String(object.kind);
  const renders = new Map<string, Render>();
  const token = (render: Render): string => {
    const name = `HELMHOLE${renders.size}X`;
    renders.set(name, render);
    return name;
  };
  visit(doc, {
    Scalar(key, node) {
      if (key === 'value' && node.value === BASE_NAMESPACE)
        node.value = token({ mode: 'inline', expr: '.Release.Namespace' });
    },
  });
  for (const hole of holeList.filter((h) => h.kind === kind)) {
    const present = get(object, hole.path) !== undefined;
    if (present === Boolean(hole.insert))
      throw new Error(
        `${where}: ${kind} ${present ? 'already has' : 'has no'} ${hole.path.join('.')}; update the holes in test/deploy/chart.ts`,
      );
    doc.setIn(hole.path, token(hole.render));
  }
  // Documents are joined with `---` by the caller.
  let text = escapeBraces(doc.toString({ lineWidth: 0, flowCollectionPadding: false })).replace(
    /^---\n/gm,
    '',
  );
  text = text.replace(
    HOLE_LINE,
    (_line, indent: string, dash: string | undefined, key: string, name: string) => {
      const render = renders.get(name);
      if (!render) throw new Error(`${where}: unknown hole ${name}`);
      const prefix = `${indent}${dash ?? ''}`;
      const column = prefix.length + 2;
      switch (render.mode) {
        case 'inline':
          return `${prefix}${key}: {{ ${render.expr} }}`;
        case 'block':
          return `${prefix}${key}:\n{{- ${render.expr} | nindent ${column} }}`;
        case 'optional':
          if (dash) throw new Error(`${where}: an optional hole cannot start a list item (${key})`);
          return render.block
            ? `{{- with ${render.value} }}\n${prefix}${key}:\n{{- toYaml . | nindent ${column} }}\n{{- end }}`
            : `{{- with ${render.value} }}\n${prefix}${key}: {{ . | quote }}\n{{- end }}`;
      }
    },
  );
  const left = /HELMHOLE\d+X/.exec(text);
  if (left) throw new Error(`${where}: hole ${left[0]} was not rendered (is it inside a flow collection?)`);
  const condition = CONDITIONS[kind];
  return condition ? `{{- if ${condition} }}\n${text.trimEnd()}\n{{- end }}\n` : text;
}

const HEADER = (source: string): string =>
  `# Generated from ${source} by test/deploy/generate-chart.ts; do not edit by hand.\n`;

/** A template from one base file (all its documents). */
function templateFile(source: SourceFile, holeList: Hole[]): GeneratedFile {
  const docs = parseAllDocuments(readFileSync(join(REPO, source.path), 'utf8')).filter(
    (doc) => doc.contents !== null,
  );
  const body = docs
    .map((doc, i) => {
      // Keep the file's leading comment once, above the first document.
      if (i > 0) doc.commentBefore = null;
      return templateDocument(doc, holeList, `${source.path} document ${i + 1}`);
    })
    .join('---\n');
  const name = source.path.startsWith(`${BASE_DIR}/`)
    ? basename(source.path)
    : `${basename(dirname(source.path))}-${basename(source.path)}`;
  return { path: `${CHART_DIR}/templates/${name}`, content: HEADER(source.path) + body };
}

/** The chart's default values, taken from the base. */
function defaultValues(objects: Json[]): Json {
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const container = get(deployment, CONTAINER) as Json;
  const image = String(container.image);
  const colon = image.lastIndexOf(':');
  if (colon < 0) throw new Error(`${BASE_DIR}/deployment.yaml: image ${image} has no tag`);
  const serviceAccount = objects.find((o) => o.kind === 'ServiceAccount');
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor');
  const values: Json = {
    image: {
      repository: image.slice(0, colon),
      // The base's tag is the package version (a test checks it): the chart's appVersion.
      tag: '',
      pullPolicy: container.imagePullPolicy,
    },
    replicaCount: get(deployment, ['spec', 'replicas']),
    extraArgs: [],
    envFrom: [],
    resources: container.resources,
    azureWorkloadIdentity: {
      clientId: get(serviceAccount, ['metadata', 'annotations', 'azure.workload.identity/client-id']),
      tenantId: '',
    },
    namespace: { create: false },
    podDisruptionBudget: { enabled: true },
    networkPolicy: { enabled: true },
    serviceMonitor: {
      enabled: true,
      interval: get(monitor, ['spec', 'endpoints', 0, 'interval']),
      labels: {},
    },
  };
  if (objects.some((o) => o.kind === 'PrometheusRule')) values.prometheusRule = { enabled: true, labels: {} };
  if (objects.some((o) => o.kind === 'ConfigMap')) values.dashboards = { enabled: true };
  return values;
}

const VALUE_COMMENTS: Record<string, string> = {
  image:
    ' The controller image. No public image is published: build it from the repository’s Dockerfile and\n push it to your registry (docs/install-aks.md).',
  'image.tag': ' Empty: the chart’s appVersion.',
  replicaCount: ' Two replicas: one leader (a coordination.k8s.io Lease), one stand-by.',
  extraArgs: ' Added after `run --metrics-address=:8080` (see `spillway run --help`).',
  envFrom:
    ' Environment from Secrets or ConfigMaps, e.g. a service principal for clusters without workload\n identity: [{ secretRef: { name: spillway-azure-credentials } }]',
  resources: ' Requests and limits of the controller container.',
  azureWorkloadIdentity:
    ' The user-assigned managed identity the controller acts as in Azure (docs/azure-setup.md).',
  'azureWorkloadIdentity.clientId': ' az identity show -g <group> -n <name> --query clientId -o tsv',
  'azureWorkloadIdentity.tenantId': ' Optional: az account show --query tenantId -o tsv',
  namespace:
    ' Create the release namespace as a manifest (with the restricted Pod Security labels) instead of\n `helm install --create-namespace`.',
  podDisruptionBudget:
    ' Keep one replica through node drains (needs replicaCount ≥ 2 to let drains proceed).',
  networkPolicy: ' Refuse inbound connections except to the metrics/health port.',
  serviceMonitor:
    ' A Prometheus Operator ServiceMonitor for /metrics. kube-prometheus-stack selects it by the label\n release: <its release name>; it carries release: kube-prometheus-stack, set yours under labels.',
  prometheusRule:
    ' Spillway’s alerts as a PrometheusRule, with the same release: kube-prometheus-stack label; set yours\n under labels.',
  dashboards: ' Grafana dashboards in a ConfigMap labelled grafana_dashboard (Grafana sidecar convention).',
};

/** values.yaml: the defaults from the base, with a comment on each value. */
function valuesFile(objects: Json[]): GeneratedFile {
  const doc = new Document(defaultValues(objects));
  const annotate = (map: unknown, prefix: string): void => {
    if (!isMap(map)) return;
    for (const pair of map.items) {
      if (!isScalar(pair.key)) continue;
      const path = prefix ? `${prefix}.${String(pair.key.value)}` : String(pair.key.value);
      const comment = VALUE_COMMENTS[path];
      if (comment) pair.key.commentBefore = comment;
      annotate(pair.value, path);
    }
  };
  annotate(doc.contents, '');
  return {
    path: `${CHART_DIR}/values.yaml`,
    content: `${HEADER(`${BASE_DIR} (defaults)`)}${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`,
  };
}

/** Constraints beyond the type of the default. */
const VALUE_RULES: Record<string, Json> = {
  'image.pullPolicy': { enum: ['Always', 'IfNotPresent', 'Never'] },
  'azureWorkloadIdentity.clientId': {
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  },
};

/** Values whose content is free-form Kubernetes data (not checked beyond its JSON type). */
const FREE_FORM = new Set(['resources', 'serviceMonitor.labels', 'prometheusRule.labels', 'envFrom']);

/** A JSON Schema for one value, from its default: types, and no unknown keys in the chart's own objects. */
function schemaOf(value: unknown, path: string): Json {
  const description = VALUE_COMMENTS[path]?.trim().replace(/\s*\n\s*/g, ' ');
  const described = (schema: Json): Json => ({
    ...(description ? { description } : {}),
    ...schema,
    ...VALUE_RULES[path],
  });
  if (Array.isArray(value))
    return described({ type: 'array', items: path === 'extraArgs' ? { type: 'string' } : {} });
  if (value !== null && typeof value === 'object') {
    if (FREE_FORM.has(path)) return described({ type: 'object' });
    const properties = Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, schemaOf(v, path ? `${path}.${k}` : k)]),
    );
    return described({ type: 'object', additionalProperties: false, properties });
  }
  if (typeof value === 'number')
    return described({ type: Number.isInteger(value) ? 'integer' : 'number', minimum: 0 });
  if (typeof value === 'boolean') return described({ type: 'boolean' });
  return described({ type: 'string' });
}

/** values.schema.json: Helm checks every install's values against it (a misspelt key fails). */
function valuesSchemaFile(objects: Json[]): GeneratedFile {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...schemaOf(defaultValues(objects), ''),
  };
  return { path: `${CHART_DIR}/values.schema.json`, content: `${JSON.stringify(schema, null, 2)}\n` };
}

/** Chart.yaml: name, versions (from package.json), description. */
function chartFile(): GeneratedFile {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    version: string;
    description: string;
  };
  const chart = {
    apiVersion: 'v2',
    name: 'spillway',
    description: pkg.description,
    type: 'application',
    version: pkg.version,
    appVersion: pkg.version,
    kubeVersion: '>=1.27.0-0',
    keywords: ['autoscaling', 'aks', 'azure-container-instances', 'burst'],
  };
  return {
    path: `${CHART_DIR}/Chart.yaml`,
    content: `${HEADER('package.json')}${new Document(chart).toString({ lineWidth: 110 })}`,
  };
}

const NOTES = `Spillway {{ .Chart.AppVersion }} is installed in namespace {{ .Release.Namespace }}.

  kubectl -n {{ .Release.Namespace }} get pods -l app.kubernetes.io/name=spillway
  kubectl -n {{ .Release.Namespace }} logs deploy/spillway

Next: give Spillway's identity its Azure role (docs/azure-setup.md), write a BurstScaler
(deploy/examples, docs/reference/burstscaler.md), and ask it why it decided what it did:

  spillway explain <namespace>/<name>
`;

/** Formats a generated file as `prettier --check` expects (the project's configuration). */
async function prettierFormat(file: GeneratedFile): Promise<GeneratedFile> {
  const filepath = join(REPO, file.path);
  const options = (await resolveConfig(filepath)) ?? {};
  return { path: file.path, content: await format(file.content, { ...options, filepath }) };
}

/** Every file of the chart, freshly generated from the base. */
export async function generateChart(): Promise<GeneratedFile[]> {
  const sources = baseSources();
  const objects = baseObjects();
  const holeList = holes(objects);
  const files: GeneratedFile[] = [
    await prettierFormat(chartFile()),
    await prettierFormat(valuesFile(objects)),
    await prettierFormat(valuesSchemaFile(objects)),
  ];
  for (const source of sources) {
    if (source.role === 'crd')
      files.push({
        path: `${CHART_DIR}/crds/${basename(source.path)}`,
        content: readFileSync(join(REPO, source.path), 'utf8'),
      });
    else files.push(templateFile(source, holeList));
  }
  files.push({ path: `${CHART_DIR}/templates/NOTES.txt`, content: NOTES });
  return files;
}
