/**
 * Salted plot commitments (gateways/src/eudr/commitment.ts): the committed details verify, any change to them (or
 * to the salt) does not, and the canonical JSON the hash covers ignores key order but nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, commitPlot, sha256Hex, verifyCommitment } from '../src/eudr/commitment.ts';
import { CLEAR_POLYGON } from './eudr-fixtures.ts';

const details = () => ({
  plotId: 'plot-1',
  exporterId: 'EXP-1',
  kind: 'Polygon',
  geometry: structuredClone(CLEAR_POLYGON),
  areaHa: 5.4495,
  region: 'SIDAMA',
  woreda: 'Bensa',
  producerRef: 'Abebe Kebede, kebele 04',
  harvestFrom: '2025-10-01',
  harvestTo: '2026-01-31',
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, 1], c: 'x' } }), '{"a":{"c":"x","d":[3,1]},"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  });
  it('drops undefined members, as JSON does', () => {
    assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  });
  it('refuses values JSON cannot carry faithfully', () => {
    assert.throws(() => canonicalJson({ a: Number.NaN }), /\$\.a is not a finite number/);
    assert.throws(() => canonicalJson([1, Number.POSITIVE_INFINITY]), /not a finite number/);
    assert.throws(() => canonicalJson([undefined]), /\$\[0\] is undefined/);
    assert.throws(() => canonicalJson({ n: 10n }), /bigint/);
  });
});

describe('commitPlot / verifyCommitment', () => {
  it('verifies the committed details with their salt', () => {
    const { commitment, salt } = commitPlot(details());
    assert.match(commitment, /^[0-9a-f]{64}$/);
    assert.match(salt, /^[0-9a-f]{64}$/);
    assert.equal(verifyCommitment(details(), salt, commitment), true);
  });
  it('the commitment is the sha256 of the canonical {details, salt}', () => {
    const { commitment, salt } = commitPlot(details());
    assert.equal(commitment, sha256Hex(canonicalJson({ salt, details: details() })));
  });
  it('is salted: the same details commit differently each time, and reproducibly with a given salt', () => {
    const a = commitPlot(details());
    const b = commitPlot(details());
    assert.notEqual(a.commitment, b.commitment);
    assert.equal(commitPlot(details(), a.salt).commitment, a.commitment);
  });
  it('key order in the document does not matter', () => {
    const { commitment, salt } = commitPlot(details());
    const reordered = Object.fromEntries(Object.entries(details()).reverse());
    assert.equal(verifyCommitment(reordered, salt, commitment), true);
  });
  it('fails when a coordinate moves by 1e-6 degree (about 0.1 m)', () => {
    const { commitment, salt } = commitPlot(details());
    const moved = details();
    moved.geometry.coordinates[0]![2]![0] = 38.472318;
    assert.equal(verifyCommitment(moved, salt, commitment), false);
  });
  it('fails when the producer reference or the area is changed', () => {
    const { commitment, salt } = commitPlot(details());
    assert.equal(verifyCommitment({ ...details(), producerRef: 'someone else' }, salt, commitment), false);
    assert.equal(verifyCommitment({ ...details(), areaHa: 5.45 }, salt, commitment), false);
  });
  it('fails with another salt, or a malformed salt or commitment (never throws)', () => {
    const { commitment, salt } = commitPlot(details());
    const other = salt.replace(/^./, salt.startsWith('0') ? '1' : '0');
    assert.equal(verifyCommitment(details(), other, commitment), false);
    assert.equal(verifyCommitment(details(), 'not-hex', commitment), false);
    assert.equal(verifyCommitment(details(), salt, commitment.slice(1)), false);
    assert.equal(verifyCommitment(details(), salt, commitment.toUpperCase()), false);
    assert.equal(verifyCommitment({ bad: Number.NaN }, salt, commitment), false);
  });
  it('refuses to commit with a malformed salt', () => {
    assert.throws(() => commitPlot(details(), 'abc'), /16 to 64 bytes of lower-case hex/);
  });
});
