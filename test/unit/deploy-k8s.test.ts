import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { fromEnv } from '../../src/client/index.js';
import { EnvSchema } from '../../src/config.js';

/** deploy/k8s/coordd-cluster.yaml, checked by reading it (no Kubernetes here). */
const docs = parseAllDocuments(readFileSync(new URL('../../deploy/k8s/coordd-cluster.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as any);
const find = (kind: string, name: string): any => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name}`);
  return doc;
};
const envOf = (container: any): Record<string, string> =>
  Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));

describe('deploy/k8s/coordd-cluster.yaml', () => {
  const coordd = find('StatefulSet', 'coordd');
  const container = coordd.spec.template.spec.containers[0];

  it('runs three coordd replicas named by their pod, on Redis, with real and valid settings', () => {
    expect(coordd.spec.replicas).to.equal(3);
    const env = envOf(container);
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const key of Object.keys(env)) expect(known.has(key), `${key} is a setting of src/config.ts`).to.equal(true);
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('$(POD_NAME)', 'coordd-0')]));
    const parsed = EnvSchema.safeParse(resolved);
    expect(parsed.success, parsed.success ? '' : parsed.error.message).to.equal(true);
    expect(container.env.find((e: any) => e.name === 'POD_NAME').valueFrom.fieldRef.fieldPath).to.equal('metadata.name');
    expect(env.COORDD_NODE_ID).to.equal('$(POD_NAME)');
    expect(env.COORDD_CLUSTER_ADVERTISE_URL).to.equal(`ws://$(POD_NAME).${coordd.spec.serviceName}:7420/rpc`);
    expect(env.COORDD_STORE).to.match(/^redis:\/\/redis:6379\/\d+$/);
    find('Service', 'redis');
  });

  it('is ready on /readyz and alive on /livez, and mounts the tokens where COORDD_TOKENS_FILE points', () => {
    expect(container.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 7420 });
    expect(container.livenessProbe.httpGet).to.deep.equal({ path: '/livez', port: 7420 });
    const mount = container.volumeMounts.find((m: any) => envOf(container).COORDD_TOKENS_FILE!.startsWith(`${m.mountPath}/`));
    const volume = coordd.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).to.equal('coordd-tokens');
  });

  it('selects the replicas from both Services, and the headless one is the StatefulSet service', () => {
    const labels = coordd.spec.template.metadata.labels;
    for (const name of ['coordd', coordd.spec.serviceName]) expect(labels).to.deep.include(find('Service', name).spec.selector);
    expect(find('Service', coordd.spec.serviceName).spec.clusterIP).to.equal('None');
  });

  it('keeps Redis on a persistent volume with AOF on', () => {
    const redis = find('StatefulSet', 'redis');
    const c = redis.spec.template.spec.containers[0];
    expect(c.args[c.args.indexOf('--appendonly') + 1]).to.equal('yes');
    const data = c.volumeMounts.find((m: any) => m.mountPath === '/data');
    expect(redis.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).to.include(data.name);
    expect(find('Service', 'redis').spec.selector).to.deep.equal(redis.spec.template.metadata.labels);
  });

  it("gives the echo workers every replica's stable URL and the agent token", () => {
    const worker = find('Deployment', 'echo-worker').spec.template.spec.containers[0];
    const urls = fromEnv(envOf(worker)).url;
    expect(urls).to.deep.equal([0, 1, 2].map((i) => `ws://coordd-${i}.${coordd.spec.serviceName}:7420/rpc`));
    expect(worker.command.join(' ')).to.match(/COORDD_JOIN_TOKEN=\$\$\(awk .*"agent".*\) exec node dist\/workers\/echo-worker\.js/);
    expect(worker.image).to.equal(container.image);
  });
});
