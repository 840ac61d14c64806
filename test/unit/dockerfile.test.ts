import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';

/** No Docker engine runs here, so the Dockerfile's essentials are checked by reading it. */
describe('Dockerfile', () => {
  const root = new URL('../../', import.meta.url);
  const text = readFileSync(new URL('Dockerfile', root), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages = lines.filter((l) => /^FROM\s/i.test(l));
  const runtime = text.slice(text.lastIndexOf('\nFROM '));

  it('is multi-stage: a build stage, then a runtime stage on a Node LTS image', () => {
    expect(stages.length).to.be.at.least(2);
    const image = /ARG NODE_IMAGE=node:(\d+)[-\w.]*/.exec(text);
    expect(image, 'node image pinned by ARG').to.not.equal(null);
    const major = Number(image![1]);
    expect(major % 2, 'LTS lines are even').to.equal(0);
    expect(major).to.be.at.least(22);
    expect(runtime).to.match(/COPY --from=build/);
    expect(runtime).not.to.match(/npm (ci|install)(?!.*--omit=dev)/);
  });

  it('runs as a non-root user in the runtime stage', () => {
    const user = /^USER\s+(\S+)/m.exec(runtime);
    expect(user?.[1]).to.be.a('string').and.not.equal('root').and.not.equal('0');
  });

  it('exposes 7420, binds all interfaces, and never disables auth or bakes in a token', () => {
    expect(runtime).to.match(/^EXPOSE 7420$/m);
    expect(runtime).to.match(/COORDD_HOST=0\.0\.0\.0/);
    expect(text).not.to.match(/--insecure|COORDD_INSECURE/);
    expect(text).not.to.match(/COORDD_TOKEN=/);
  });

  it('has a HEALTHCHECK on /healthz and starts the built daemon', () => {
    expect(runtime).to.match(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(runtime).to.match(/ENTRYPOINT \["node", "dist\/bin\/coordd\.js"\]/);
    expect(existsSync(new URL('src/bin/coordd.ts', root))).to.equal(true);
  });

  it('copies only files that exist, and .dockerignore keeps node_modules and dist out', () => {
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const f of m[1]!.split(/\s+/)) expect(existsSync(new URL(f, root)), f).to.equal(true);
    }
    const ignore = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n');
    expect(ignore).to.include.members(['node_modules', 'dist']);
  });
});
