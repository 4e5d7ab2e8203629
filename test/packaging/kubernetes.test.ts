// The Kubernetes manifests of Core (resources/kubernetes): every object valid by the Kubernetes
// schemas (kubernetes-models, offline), every file in the kustomization, and what the docs
// promise: one replica and never an autoscaler, a ReadWriteOnce volume (ReadWriteOncePod with the
// component), probes on /readyz and /healthz, non-root with a read-only root filesystem and no
// capabilities, no service account token, secrets from Secrets, and a NetworkPolicy that lets in
// the API only and out the agents, SSH and DNS.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONTROL_PORT } from '../../src-main/contract/host-layout.js';
import { ROOT, runCli } from '../helpers/server.js';

const DIR = join(ROOT, 'resources/kubernetes');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
const load = (file: string): Doc[] => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJS() as Doc);
const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const docs = manifests.flatMap((f) => load(f).map((d) => ({ file: f, doc: d })));
const statefulSet = docs.find((d) => d.doc.kind === 'StatefulSet')!.doc as unknown as StatefulSet;
const pod = statefulSet.spec!.template.spec!;
const core = pod.containers[0]!;

describe('Kubernetes manifests', () => {
  test('every object is valid by the Kubernetes schemas, and the validator does refuse a bad one', () => {
    for (const { file, doc } of docs) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${file}: ${doc.apiVersion} ${doc.kind} has no schema here`).toBeDefined();
      expect(() => new Model!(doc as never).validate(), `${file}: ${doc.kind} ${doc.metadata.name}`).not.toThrow();
    }
    const bad = structuredClone(statefulSet) as unknown as { spec: { replicas: unknown } };
    bad.spec.replicas = 'one';
    expect(() => new StatefulSet(bad as never).validate()).toThrow(/replicas must be integer/);
  });

  test('the kustomization names every manifest; the ReadWriteOncePod component patches the volume', () => {
    const k = load('kustomization.yaml')[0] as unknown as { resources: string[]; namespace: string };
    expect([...k.resources].sort()).toEqual(manifests);
    expect(k.namespace).toBe('bulwark');
    const rwop = load('readwriteoncepod/kustomization.yaml')[0] as unknown as { kind: string; patches: { target: { kind: string }; patch: string }[] };
    expect(rwop.kind).toBe('Component');
    const ops = parseAllDocuments(rwop.patches[0]!.patch)[0]!.toJS() as { op: string; path: string; value: string[] }[];
    expect(ops).toEqual([{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/accessModes', value: ['ReadWriteOncePod'] }]);
    // The patched StatefulSet is valid too.
    const patched = structuredClone(statefulSet);
    patched.spec!.volumeClaimTemplates![0]!.spec!.accessModes = ['ReadWriteOncePod'];
    expect(() => new StatefulSet(patched).validate()).not.toThrow();
  });

  test('exactly one Core: one replica, a ReadWriteOnce volume, no Deployment, no autoscaler', () => {
    expect(statefulSet.spec!.replicas).toBe(1);
    expect(docs.filter((d) => d.doc.kind === 'StatefulSet')).toHaveLength(1);
    expect(docs.map((d) => d.doc.kind)).not.toEqual(expect.arrayContaining(['Deployment']));
    expect(docs.some((d) => /HorizontalPodAutoscaler|Deployment|ReplicaSet|DaemonSet/.test(d.doc.kind))).toBe(false);
    expect(statefulSet.spec!.volumeClaimTemplates![0]!.spec!.accessModes).toEqual(['ReadWriteOnce']);
    expect(statefulSet.spec!.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('probes: startup and readiness on /readyz, liveness on /healthz, all with a Host Core answers to', () => {
    expect(core.startupProbe?.httpGet?.path).toBe('/readyz');
    expect(core.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(core.livenessProbe?.httpGet?.path).toBe('/healthz');
    for (const p of [core.startupProbe, core.readinessProbe, core.livenessProbe]) {
      expect(p?.httpGet).toMatchObject({ port: 'api', scheme: 'HTTPS', httpHeaders: [{ name: 'Host', value: 'localhost' }] });
    }
    // Five minutes for migrations before the startup probe gives up.
    expect(core.startupProbe!.periodSeconds! * core.startupProbe!.failureThreshold!).toBeGreaterThanOrEqual(300);
  });

  test('non-root, read-only root filesystem, no capabilities, no service account token; secrets from Secrets', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(core.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(docs.find((d) => d.doc.kind === 'ServiceAccount')!.doc.automountServiceAccountToken).toBe(false);
    const env = Object.fromEntries(core.env!.map((e) => [e.name, e.value]));
    const secrets = core.volumeMounts!.find((m) => m.name === 'secrets')!;
    expect(secrets.readOnly).toBe(true);
    expect(env.BULWARK_TOKEN_FILE).toBe(`${secrets.mountPath}/token`);
    expect(env.BULWARK_SECRET_KEY_FILE).toBe(`${secrets.mountPath}/secret.key`);
    for (const v of pod.volumes!.filter((v) => v.secret)) expect(v.secret!.defaultMode, v.name).toBe(0o440);
  });

  test("the container's arguments are options bulwark serve has; it listens with TLS", async () => {
    // serve's own options, and the global ones (--data-dir).
    const help = (await runCli(['serve', '--help'])).stdout + (await runCli(['--help'])).stdout;
    const args = core.args!;
    expect(args[0]).toBe('serve');
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(help, flag).toContain(flag);
    expect(args).toEqual(expect.arrayContaining(['--tls-cert', '--tls-key']));
    expect(args[args.indexOf('--data-dir') + 1]).toBe(`${core.volumeMounts!.find((m) => m.name === 'data')!.mountPath}/data`);
  });

  test('NetworkPolicy: in, the API only; out, the agents, SSH and DNS', () => {
    const np = docs.find((d) => d.doc.kind === 'NetworkPolicy')!.doc as unknown as NetworkPolicy;
    expect(np.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec!.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 7420 }] }]);
    const out = np.spec!.egress!.flatMap((e) => e.ports!.map((p) => `${p.protocol}/${p.port}`));
    expect(out.sort()).toEqual([...Object.values(CONTROL_PORT).map((p) => `TCP/${p}`), 'TCP/22', 'TCP/53', 'UDP/53'].sort());
  });
});
