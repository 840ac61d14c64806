import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { hasParentPipe, watchParentPipe } from '../../../src/client/parent-pipe.js';

describe('client/parent-pipe', () => {
  it('is on only with COORDD_PARENT_PIPE=stdin', () => {
    expect(hasParentPipe({ COORDD_PARENT_PIPE: 'stdin' })).to.equal(true);
    expect(hasParentPipe({})).to.equal(false);
    expect(hasParentPipe({ COORDD_PARENT_PIPE: 'fd3' })).to.equal(false);
  });

  it('calls back once when the pipe ends, whatever arrived before', async () => {
    const pipe = new PassThrough();
    let calls = 0;
    const ended = new Promise<void>((resolve) => watchParentPipe(() => (calls++, resolve()), pipe));
    pipe.write('ignored');
    pipe.end();
    await ended;
    pipe.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).to.equal(1);
  });

  it('stops watching when asked', async () => {
    const pipe = new PassThrough();
    let calls = 0;
    const unwatch = watchParentPipe(() => calls++, pipe);
    unwatch();
    pipe.end();
    pipe.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).to.equal(0);
  });
});
