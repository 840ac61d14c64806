import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the published package', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { license: string; repository?: { url?: string }; files: string[] };

  it('has a LICENSE matching package.json and a repository', () => {
    expect(pkg.license).to.equal('MIT');
    expect(readFileSync(`${ROOT}LICENSE`, 'utf8')).to.match(/^MIT License\n\nCopyright \(c\) \d{4} coordd authors\n/);
    expect(pkg.repository?.url).to.match(/^git\+https:\/\/\S+\.git$/);
  });

  it('builds an executable bin, so `npx coordd` works in a checkout (npm test builds first)', function () {
    const bin = `${ROOT}dist/bin/coordd.js`;
    if (!existsSync(bin)) this.skip();
    expect(statSync(bin).mode & 0o111, 'execute bits of dist/bin/coordd.js').to.not.equal(0);
  });

  it('ships every file the README links to', function () {
    this.timeout(60_000);
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const links = [...new Set([...readme.matchAll(/\]\(([^)#:\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!))];
    expect(links).to.include('examples/operator.ts');
    for (const link of links) expect(existsSync(`${ROOT}${link}`), `README links to a missing ${link}`).to.equal(true);
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as [
      { files: { path: string }[] },
    ];
    const shipped = new Set(packed.files.map((f) => f.path));
    expect(
      links.filter((l) => !shipped.has(l)),
      'linked from README but not in the package',
    ).to.deep.equal([]);
    expect(shipped.has('LICENSE')).to.equal(true);
  });
});
