/**
 * ByteBudget (platform/pool.ts): the bytes of upload buffers all transfers of a process hold at
 * once. Takes wait until bytes are given back, first come first served; a request larger than
 * the whole budget is granted when nothing else is held.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBudget } from '../../src/platform/pool.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ByteBudget', () => {
  it('grants what fits at once and makes the rest wait until bytes are given back', async () => {
    const b = new ByteBudget(100);
    await b.take(60);
    assert.equal(b.tryTake(50), false, 'over the budget');
    let granted = false;
    const waiting = b.take(50).then(() => (granted = true));
    await tick();
    assert.equal(granted, false);
    b.give(60);
    await waiting;
    assert.equal(granted, true);
    assert.equal(b.inUse, 50);
  });

  it('serves waiters in order: a later small request does not pass an earlier one', async () => {
    const b = new ByteBudget(100);
    await b.take(90);
    const order: string[] = [];
    const big = b.take(80).then(() => order.push('big'));
    await tick();
    assert.equal(b.tryTake(5), false, 'someone waits first');
    const small = b.take(5).then(() => order.push('small'));
    b.give(90);
    await Promise.all([big, small]);
    assert.deepEqual(order, ['big', 'small']);
    assert.equal(b.inUse, 85);
  });

  it('grants a request larger than the whole budget when nothing else is held', async () => {
    const b = new ByteBudget(100);
    await b.take(10);
    let granted = false;
    const huge = b.take(500).then(() => (granted = true));
    await tick();
    assert.equal(granted, false);
    b.give(10);
    await huge;
    assert.equal(b.inUse, 500);
    b.give(500);
    assert.equal(b.inUse, 0);
  });
});
