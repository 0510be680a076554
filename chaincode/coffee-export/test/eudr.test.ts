import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * The `eudr` contract (issue 15, docs/chaincode.md "coffee-export: `eudr` contract"): ECTA's forest-loss layer,
 * exporters' plots (commitments only), ECX's lot-to-plot links, the DDS package ECTA co-endorses, and customs
 * refusing an EU-bound export without it. Deny cases first: who may call, who may see.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import {
  CE,
  type Json,
  STEPS,
  U,
  type World,
  compositeKey,
  newWorld,
  refused,
  submission,
  submit,
} from './helpers/world';

const LAYER_SHA = 'a1'.repeat(32);
const OTHER_LAYER_SHA = 'b2'.repeat(32);
const PACKAGE_SHA = 'c3'.repeat(32);

let cidCounter = 0;
/** A CIDv1 (base32) unique within the run, so a leak of one is easy to look for. */
function cid(): string {
  cidCounter += 1;
  return `bafybei${'q'.repeat(44)}${cidCounter.toString(36).padStart(8, 'a').replace(/[0-9]/g, 'z')}`;
}

function layer(overrides: Json = {}): Json {
  return {
    name: 'synthetic forest loss 2021+',
    sha256: LAYER_SHA,
    cid: cid(),
    featureCount: 3,
    ...overrides,
  };
}

function commitmentOf(plotId: string): string {
  return Buffer.from(plotId.padEnd(32, '.')).toString('hex').slice(0, 64);
}

function plot(plotId: string, status: 'CLEAR' | 'FLAGGED' = 'CLEAR', overrides: Json = {}): Json {
  return {
    plotId,
    commitment: commitmentOf(plotId),
    kind: 'Polygon',
    documentCid: cid(),
    screening: { status, layerSha256: LAYER_SHA, overlapHa: status === 'FLAGGED' ? 0.123456789 : 0 },
    ...overrides,
  };
}

function summary(overrides: Json = {}): Json {
  return {
    hsCode: '0901.11',
    netMassKg: 19_200,
    country: 'ET',
    harvestFrom: '2025-10-01',
    harvestTo: '2026-01-31',
    producerCount: 2,
    ...overrides,
  };
}

function pkg(plotIds: string[], overrides: Json = {}): Json {
  return {
    packageSha256: PACKAGE_SHA,
    packageCid: cid(),
    plotIds,
    summary: summary(),
    legalityDeclared: true,
    ...overrides,
  };
}

type Arg = Json | Json[] | string;
const arg = (a: Arg): string => (typeof a === 'string' ? a : JSON.stringify(a));

/** A write of the eudr contract with its positional arguments. */
function call(world: World, who: Identity, fn: string, ...args: Arg[]): Promise<string> {
  return world.ledger.submit(who, CE, `eudr:${fn}`, args.map(arg));
}

async function write(world: World, who: Identity, fn: string, ...args: Arg[]): Promise<Json> {
  return JSON.parse(await call(world, who, fn, ...args)) as Json;
}

async function read(world: World, who: Identity, fn: string, ...args: Arg[]): Promise<Json> {
  return JSON.parse(await world.ledger.evaluate(who, CE, `eudr:${fn}`, args.map(arg))) as Json;
}

async function denied(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: Error) => {
    assert.match(e.message, new RegExp(`^${code}: `));
    return true;
  });
}

/** An export to Germany, created by `owner` and advanced `steps` steps of the happy path (no EUDR yet). */
async function euExport(
  world: World,
  id: string,
  steps: number,
  owner: Identity = U.exporter,
): Promise<void> {
  const contract = { ...(submission(id).contract as Json), destinationCountry: 'DE' };
  await submit(world, id, owner, { contract });
  await runSteps(world, id, 0, steps, owner);
}

async function runSteps(
  world: World,
  id: string,
  from: number,
  to: number,
  owner: Identity = U.exporter,
): Promise<void> {
  for (const step of STEPS.slice(from, to)) {
    await step.prepare?.(id, world, owner);
    await world.submit(step.who, step.fn, await step.input(id, world), step.transient?.());
  }
}

const CLEAR_CUSTOMS = STEPS.findIndex((s) => s.fn === 'export:ClearCustoms');
const SHIPMENT_BOOKED = CLEAR_CUSTOMS; // steps before customs: the export is then SHIPMENT_BOOKED
const QUALITY_CERTIFIED = STEPS.findIndex((s) => s.to === 'QUALITY_CERTIFIED') + 1;

/** A world with ECTA's layer loaded and exporter 1's plots P-1 (CLEAR) and P-2 (FLAGGED) registered. */
async function eudrWorld(): Promise<World> {
  const world = await newWorld();
  await call(world, U.ecta, 'SetForestLayer', layer());
  await call(world, U.exporter, 'RegisterPlot', plot('P-1'));
  await call(world, U.exporter, 'RegisterPlot', plot('P-2', 'FLAGGED'));
  return world;
}

const lotsOf = (...plotIds: string[]): Json[] => [
  { lotId: 'LOT-77', plots: plotIds.map((plotId) => ({ plotId, quantityKg: 9_600 })) },
];

describe('eudr: the forest-loss layer (ECTA)', () => {
  it('refuses other orgs and roles, and a malformed layer; ECTA officer and admin set it', async () => {
    const world = await newWorld();
    await refused(world, call(world, U.exporter, 'SetForestLayer', layer()), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.grader, 'SetForestLayer', layer()), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.ectaAuditor, 'SetForestLayer', layer()), 'FORBIDDEN_ROLE');
    await refused(
      world,
      call(world, U.ecta, 'SetForestLayer', layer({ sha256: 'xyz' })),
      'VALIDATION_FAILED',
    );
    await refused(world, call(world, U.ecta, 'SetForestLayer', layer({ extra: 1 })), 'VALIDATION_FAILED');
    await denied(read(world, U.exporter, 'GetForestLayer'), 'EUDR_LAYER_NOT_FOUND');

    const first = await write(world, U.ecta, 'SetForestLayer', layer());
    assert.deepEqual([first.version, first.sha256], [1, LAYER_SHA]);
    assert.equal(world.ledger.lastEvent()?.name, 'EudrForestLayerSet');
    assert.deepEqual(world.keyPolicyOrgs('EUDR_LAYER'), ['ECTAMSP'], 'ECTA alone changes it afterwards');
    const second = await write(world, U.ectaAdmin, 'SetForestLayer', layer({ sha256: OTHER_LAYER_SHA }));
    assert.equal(second.version, 2);
    assert.equal(world.ledger.lastEvent()?.payload.previousSha256, LAYER_SHA);
    const current = await read(world, U.shipping, 'GetForestLayer');
    assert.equal(current.sha256, OTHER_LAYER_SHA, 'the layer is public to the consortium');
  });
});

describe('eudr: plot registration (exporter)', () => {
  it('refuses other roles and orgs, an unscreened or stale screening, a reviewed status, a duplicate', async () => {
    const world = await newWorld();
    await refused(world, call(world, U.exporter, 'RegisterPlot', plot('P-1')), 'EUDR_LAYER_MISMATCH');
    await call(world, U.ecta, 'SetForestLayer', layer());
    await refused(world, call(world, U.bank, 'RegisterPlot', plot('P-1')), 'FORBIDDEN_ROLE');
    await refused(world, call(world, U.ecta, 'RegisterPlot', plot('P-1')), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.customs, 'RegisterPlot', plot('P-1')), 'FORBIDDEN_ORG');
    const stale = plot('P-1', 'CLEAR', {
      screening: { status: 'CLEAR', layerSha256: OTHER_LAYER_SHA, overlapHa: 0 },
    });
    await refused(world, call(world, U.exporter, 'RegisterPlot', stale), 'EUDR_LAYER_MISMATCH');
    const selfCleared = plot('P-1', 'CLEAR', {
      screening: { status: 'REVIEW_CLEARED', layerSha256: LAYER_SHA, overlapHa: 0 },
    });
    await refused(world, call(world, U.exporter, 'RegisterPlot', selfCleared), 'VALIDATION_FAILED');
    await refused(
      world,
      call(world, U.exporter, 'RegisterPlot', plot('P-1', 'CLEAR', { kind: 'MultiPolygon' })),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      call(world, U.exporter, 'RegisterPlot', plot('P-1', 'CLEAR', { commitment: 'abc' })),
      'VALIDATION_FAILED',
    );
    // No geometry or producer reference is accepted on the ledger.
    await refused(
      world,
      call(world, U.exporter, 'RegisterPlot', plot('P-1', 'CLEAR', { geometry: { type: 'Point' } })),
      'VALIDATION_FAILED',
    );

    const registered = await write(world, U.exporter, 'RegisterPlot', plot('P-1', 'FLAGGED'));
    assert.equal(registered.exporterId, 'EXP-001', 'the plot is the caller’s exporter’s, never an argument');
    assert.equal((registered.screening as Json).overlapHa, 0.1235, 'areas are kept to 1 m²');
    await refused(world, call(world, U.exporter2, 'RegisterPlot', plot('P-1')), 'EUDR_PLOT_EXISTS');
    assert.deepEqual(world.keyPolicyOrgs(compositeKey('eudr-plot', 'P-1')), ['CommercialBankMSP', 'ECTAMSP']);
    assert.deepEqual(world.keyPolicyOrgs(compositeKey('eudr-plot-by-exporter', 'EXP-001', 'P-1')), [
      'CommercialBankMSP',
      'ECTAMSP',
    ]);
    const ev = world.ledger.lastEvent();
    assert.equal(ev?.name, 'EudrPlotRegistered');
    assert.deepEqual(
      [ev?.payload.plotId, ev?.payload.status, ev?.payload.exporterId],
      ['P-1', 'FLAGGED', 'EXP-001'],
    );
    assert.ok(!ev?.raw.includes(String(registered.documentCid)), 'no document CID in the event');
  });
});

describe('eudr: who may read plots', () => {
  it('another exporter and the orgs outside the audience are told the plot does not exist', async () => {
    const world = await eudrWorld();
    for (const who of [
      U.exporter2,
      U.fx,
      U.nbAuditor,
      U.nbAdmin,
      U.shipping,
      U.shippingAuditor,
      U.ectaAdmin,
    ]) {
      await denied(read(world, who, 'GetPlot', 'P-1'), 'EUDR_PLOT_NOT_FOUND');
    }
    await denied(read(world, U.ecta, 'GetPlot', 'P-404'), 'EUDR_PLOT_NOT_FOUND');
    for (const who of [U.exporter2, U.fx, U.shipping]) {
      assert.deepEqual((await read(world, who, 'ListPlots', '')).records, [], who.commonName);
      assert.deepEqual((await read(world, who, 'ListPlots', 'EXP-001')).records, [], who.commonName);
    }
    for (const who of [
      U.exporter,
      U.bank,
      U.cbAuditor,
      U.cbAdmin,
      U.ecta,
      U.ectaAuditor,
      U.grader,
      U.customs,
    ]) {
      const p = await read(world, who, 'GetPlot', 'P-1');
      assert.deepEqual([p.plotId, p.exporterId], ['P-1', 'EXP-001'], who.commonName);
    }
    const own = (await read(world, U.exporter, 'ListPlots', '')).records as Json[];
    assert.deepEqual(
      own.map((p) => p.plotId),
      ['P-1', 'P-2'],
    );
    const flagged = (await read(world, U.ecta, 'ListPlots', { status: 'FLAGGED' })).records as Json[];
    assert.deepEqual(
      flagged.map((p) => p.plotId),
      ['P-2'],
      'ECTA’s review queue',
    );
    const byExporter = (await read(world, U.customs, 'ListPlots', { exporterId: 'EXP-002' })).records;
    assert.deepEqual(byExporter, []);
  });
});

describe('eudr: ECTA reviews a flagged plot', () => {
  it('refuses others, an unflagged plot and a second review; records the outcome', async () => {
    const world = await eudrWorld();
    await refused(world, call(world, U.grader, 'ReviewPlot', 'P-2', 'REVIEW_CLEARED', 'ok'), 'FORBIDDEN_ORG');
    await refused(
      world,
      call(world, U.exporter, 'ReviewPlot', 'P-2', 'REVIEW_CLEARED', 'ok'),
      'FORBIDDEN_ORG',
    );
    await refused(
      world,
      call(world, U.ectaAuditor, 'ReviewPlot', 'P-2', 'REVIEW_CLEARED', 'ok'),
      'FORBIDDEN_ROLE',
    );
    await refused(
      world,
      call(world, U.ecta, 'ReviewPlot', 'P-404', 'REVIEW_CLEARED', 'ok'),
      'EUDR_PLOT_NOT_FOUND',
    );
    await refused(
      world,
      call(world, U.ecta, 'ReviewPlot', 'P-1', 'REVIEW_CLEARED', 'ok'),
      'INVALID_TRANSITION',
    );
    await refused(world, call(world, U.ecta, 'ReviewPlot', 'P-2', 'CLEAR', 'ok'), 'VALIDATION_FAILED');
    const reviewed = await write(
      world,
      U.ecta,
      'ReviewPlot',
      'P-2',
      'REVIEW_CLEARED',
      'loss is a 2019 fire scar',
    );
    assert.equal((reviewed.screening as Json).status, 'REVIEW_CLEARED');
    assert.equal((reviewed.review as Json).note, 'loss is a 2019 fire scar');
    assert.equal(world.ledger.lastEvent()?.name, 'EudrPlotReviewed');
    await refused(
      world,
      call(world, U.ecta, 'ReviewPlot', 'P-2', 'REVIEW_REJECTED', 'x'),
      'INVALID_TRANSITION',
    );
  });
});

describe('eudr: a newer forest-loss layer flags a CLEAR plot (ECTA re-screens it)', () => {
  const rescreen = (overrides: Json = {}): Json => ({
    layerSha256: OTHER_LAYER_SHA,
    overlapHa: 0.51234567,
    ...overrides,
  });

  it('refuses others, another layer than the one in force, a plot screened against it, a plot not CLEAR', async () => {
    const world = await eudrWorld();
    // While the layer P-1 was screened CLEAR against is still in force, there is nothing to re-screen.
    await refused(
      world,
      call(world, U.ecta, 'FlagPlot', 'P-1', rescreen({ layerSha256: LAYER_SHA })),
      'INVALID_TRANSITION',
    );
    await call(world, U.ecta, 'SetForestLayer', layer({ sha256: OTHER_LAYER_SHA }));
    await refused(world, call(world, U.grader, 'FlagPlot', 'P-1', rescreen()), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.exporter, 'FlagPlot', 'P-1', rescreen()), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.bank, 'FlagPlot', 'P-1', rescreen()), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.ectaAuditor, 'FlagPlot', 'P-1', rescreen()), 'FORBIDDEN_ROLE');
    await refused(world, call(world, U.ectaAdmin, 'FlagPlot', 'P-1', rescreen()), 'FORBIDDEN_ROLE');
    await refused(world, call(world, U.ecta, 'FlagPlot', 'P-404', rescreen()), 'EUDR_PLOT_NOT_FOUND');
    await refused(
      world,
      call(world, U.ecta, 'FlagPlot', 'P-1', rescreen({ layerSha256: LAYER_SHA })),
      'EUDR_LAYER_MISMATCH',
    );
    await refused(
      world,
      call(world, U.ecta, 'FlagPlot', 'P-1', rescreen({ layerSha256: 'xyz' })),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      call(world, U.ecta, 'FlagPlot', 'P-1', rescreen({ overlapHa: -1 })),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      call(world, U.ecta, 'FlagPlot', 'P-1', rescreen({ status: 'CLEAR' })),
      'VALIDATION_FAILED',
    );
    // P-2 is FLAGGED already (its review decides), not CLEAR.
    await refused(world, call(world, U.ecta, 'FlagPlot', 'P-2', rescreen()), 'INVALID_TRANSITION');
    assert.equal(((await read(world, U.ecta, 'GetPlot', 'P-1')).screening as Json).status, 'CLEAR');
  });

  it('flags it against the layer in force; its review then decides, as for a plot flagged at registration', async () => {
    const world = await eudrWorld();
    await call(world, U.ecta, 'SetForestLayer', layer({ sha256: OTHER_LAYER_SHA }));
    const flagged = await write(world, U.ecta, 'FlagPlot', 'P-1', rescreen());
    assert.deepEqual(flagged.screening, {
      status: 'FLAGGED',
      layerSha256: OTHER_LAYER_SHA,
      overlapHa: 0.5123,
      screenedAt: (flagged.rescreen as Json).at,
    });
    assert.equal((flagged.rescreen as Json).fromLayerSha256, LAYER_SHA);
    assert.equal(((flagged.rescreen as Json).by as Json).mspId, 'ECTAMSP');
    const ev = world.ledger.lastEvent();
    assert.equal(ev?.name, 'EudrPlotFlagged');
    assert.deepEqual(
      [ev?.payload.fromStatus, ev?.payload.status, ev?.payload.previousLayerSha256],
      ['CLEAR', 'FLAGGED', LAYER_SHA],
    );
    assert.deepEqual(world.keyPolicyOrgs(compositeKey('eudr-plot', 'P-1')), ['CommercialBankMSP', 'ECTAMSP']);
    // The owner sees it flagged, with the re-screening; another exporter still learns nothing of it.
    const seen = await read(world, U.exporter, 'GetPlot', 'P-1');
    assert.equal((seen.screening as Json).status, 'FLAGGED');
    assert.equal((seen.rescreen as Json).fromLayerSha256, LAYER_SHA);
    await denied(read(world, U.exporter2, 'GetPlot', 'P-1'), 'EUDR_PLOT_NOT_FOUND');
    // Once only; then ECTA's review, which keeps the re-screening on record.
    await refused(world, call(world, U.ecta, 'FlagPlot', 'P-1', rescreen()), 'INVALID_TRANSITION');
    const reviewed = await write(
      world,
      U.ecta,
      'ReviewPlot',
      'P-1',
      'REVIEW_CLEARED',
      'old shade trees thinned',
    );
    assert.equal((reviewed.screening as Json).status, 'REVIEW_CLEARED');
    assert.equal((reviewed.rescreen as Json).fromLayerSha256, LAYER_SHA);
  });

  /** EX-1's package assembled with P-1 (CLEAR) and P-2 (reviewed), then a newer layer that flags P-1. */
  async function flaggedAfterAssembly(): Promise<World> {
    const world = await eudrWorld();
    await call(world, U.ecta, 'ReviewPlot', 'P-2', 'REVIEW_CLEARED', 'ok');
    await euExport(world, 'EX-1', QUALITY_CERTIFIED);
    await call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1', 'P-2'));
    await call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2']));
    // ECTA loads a newer layer; at approval its gateway finds that P-1 overlaps it.
    await call(world, U.ecta, 'SetForestLayer', layer({ sha256: OTHER_LAYER_SHA }));
    await call(world, U.ecta, 'FlagPlot', 'P-1', rescreen());
    return world;
  }

  it('an assembled package with the plot waits for the review before ECTA may approve it', async () => {
    const rejected = await flaggedAfterAssembly();
    const approve = (w: World): Promise<string> => call(w, U.ecta, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA);
    await refused(rejected, approve(rejected), 'EUDR_PLOT_NOT_CLEARED');
    await call(rejected, U.ecta, 'ReviewPlot', 'P-1', 'REVIEW_REJECTED', 'cleared for a new field in 2024');
    await refused(rejected, approve(rejected), 'EUDR_PLOT_NOT_CLEARED');

    const cleared = await flaggedAfterAssembly();
    await call(cleared, U.ecta, 'ReviewPlot', 'P-1', 'REVIEW_CLEARED', 'loss outside the coffee stand');
    assert.equal((JSON.parse(await approve(cleared)) as Json).status, 'APPROVED');
  });
});

describe('eudr: ECX links lots to plots', () => {
  it('refuses others, before grading, foreign, missing, rejected or repeated plots', async () => {
    const world = await eudrWorld();
    await call(world, U.exporter2, 'RegisterPlot', plot('Q-1'));
    await call(world, U.exporter, 'RegisterPlot', plot('P-3', 'FLAGGED'));
    await call(world, U.ecta, 'ReviewPlot', 'P-3', 'REVIEW_REJECTED', 'cleared forest in 2022');
    await euExport(world, 'EX-1', 0);
    // ECX does not see the export before ECTA registered the contract: like a missing one.
    await refused(world, call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1')), 'EXPORT_NOT_FOUND');
    await runSteps(world, 'EX-1', 0, 1);
    await refused(world, call(world, U.exporter, 'LinkLotPlots', 'EX-1', lotsOf('P-1')), 'FORBIDDEN_ORG');
    await refused(world, call(world, U.ecxAuditor, 'LinkLotPlots', 'EX-1', lotsOf('P-1')), 'FORBIDDEN_ROLE');
    await refused(world, call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('Q-1')), 'EUDR_PLOTS_MISMATCH');
    await refused(
      world,
      call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-404')),
      'EUDR_PLOT_NOT_FOUND',
    );
    await refused(world, call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-3')), 'EUDR_PLOT_REJECTED');
    await refused(
      world,
      call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1', 'P-1')),
      'VALIDATION_FAILED',
    );
    await refused(world, call(world, U.grader, 'LinkLotPlots', 'EX-1', []), 'VALIDATION_FAILED');

    const links = await write(world, U.grader, 'LinkLotPlots', 'EX-1', { lots: lotsOf('P-1', 'P-2') });
    assert.equal(links.exporterId, 'EXP-001');
    assert.deepEqual(world.keyPolicyOrgs(compositeKey('eudr-lots', 'EX-1')), ['ECTAMSP', 'ECXMSP']);
    assert.deepEqual(world.ledger.lastEvent()?.payload.lotIds, ['LOT-77']);
    await runSteps(world, 'EX-1', 1, 2);
    await write(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1'));
    await runSteps(world, 'EX-1', 2, 3);
    await refused(world, call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1')), 'INVALID_TRANSITION');
  });
});

describe('eudr: the DDS package and customs', () => {
  it('customs refuses an EU-bound export with no package, or one ECTA has not approved, in every lane', async () => {
    const world = await eudrWorld();
    await euExport(world, 'EX-1', SHIPMENT_BOOKED);
    const step = STEPS[CLEAR_CUSTOMS]!;
    await step.prepare?.('EX-1', world);
    const declaration = await step.input('EX-1', world);
    for (const riskLane of ['GREEN', 'RED']) {
      await refused(
        world,
        world.submit(U.customs, step.fn, { ...declaration, riskLane }, step.transient?.()),
        'EUDR_PACKAGE_REQUIRED',
      );
    }
    assert.equal((await world.get('EX-1')).status, 'SHIPMENT_BOOKED');
  });

  it('refuses the package to others, outside the EU, before grading, without lots, with unmatched or flagged plots', async () => {
    const world = await eudrWorld();
    await euExport(world, 'EX-1', 1);
    await submit(world, 'US-1');
    await runSteps(world, 'US-1', 0, QUALITY_CERTIFIED);
    await call(world, U.grader, 'LinkLotPlots', 'US-1', lotsOf('P-1'));
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'US-1', pkg(['P-1'])),
      'EUDR_NOT_REQUIRED',
    );
    // ECX may link lots while grading, before the certificate; the package waits for the certificate.
    await call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1', 'P-2'));
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'])),
      'INVALID_TRANSITION',
    );
    await runSteps(world, 'EX-1', 1, QUALITY_CERTIFIED);
    await refused(
      world,
      call(world, U.exporter2, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'])),
      'EXPORT_NOT_FOUND',
    );
    await refused(
      world,
      call(world, U.bank, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'])),
      'FORBIDDEN_ROLE',
    );
    await refused(
      world,
      call(world, U.ecta, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'])),
      'FORBIDDEN_ORG',
    );
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1'])),
      'EUDR_PLOTS_MISMATCH',
    );
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2', 'P-9'])),
      'EUDR_PLOTS_MISMATCH',
    );
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'], { legalityDeclared: false })),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      call(
        world,
        U.exporter,
        'AssembleDdsPackage',
        'EX-1',
        pkg(['P-1', 'P-2'], { summary: summary({ hsCode: '0901.21' }) }),
      ),
      'VALIDATION_FAILED',
    );
    await refused(
      world,
      call(
        world,
        U.exporter,
        'AssembleDdsPackage',
        'EX-1',
        pkg(['P-1', 'P-2'], { summary: summary({ harvestFrom: '2026-02-01', harvestTo: '2025-10-01' }) }),
      ),
      'VALIDATION_FAILED',
    );
    await assert.rejects(
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'])),
      (e: Error) => {
        assert.match(e.message, /^EUDR_PLOT_NOT_CLEARED: plot P-2 is FLAGGED/);
        return true;
      },
    );

    const other = await newWorld();
    await call(other, U.ecta, 'SetForestLayer', layer());
    await euExport(other, 'EX-2', QUALITY_CERTIFIED);
    await refused(
      other,
      call(other, U.exporter, 'AssembleDdsPackage', 'EX-2', pkg(['P-1'])),
      'EUDR_LOTS_MISSING',
    );
  });

  it('an EU-bound export goes from plots through a flagged plot’s review and ECTA’s approval to customs and a DDS reference', async () => {
    const world = await eudrWorld();
    await euExport(world, 'EX-1', 1);
    await write(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1', 'P-2'));
    await runSteps(world, 'EX-1', 1, QUALITY_CERTIFIED);
    // The flagged plot blocks the package until ECTA reviews it.
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-2', 'P-1'])),
      'EUDR_PLOT_NOT_CLEARED',
    );
    await call(world, U.ecta, 'ReviewPlot', 'P-2', 'REVIEW_CLEARED', 'agroforestry shade, no deforestation');
    await refused(
      world,
      call(world, U.ecta, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA),
      'EUDR_PACKAGE_NOT_FOUND',
    );
    const draft = await write(
      world,
      U.exporter,
      'AssembleDdsPackage',
      'EX-1',
      pkg(['P-2', 'P-1'], { packageSha256: OTHER_LAYER_SHA }),
    );
    assert.deepEqual([draft.status, draft.plotIds], ['ASSEMBLED', ['P-1', 'P-2']]);
    // Re-assembling replaces an assembled package; ECTA approves only the hash it checked.
    const assembled = await write(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2']));
    assert.equal(assembled.packageSha256, PACKAGE_SHA);
    assert.equal(world.ledger.lastEvent()?.payload.replaced, true);
    assert.deepEqual(world.keyPolicyOrgs(compositeKey('eudr-dds', 'EX-1')), ['CommercialBankMSP', 'ECTAMSP']);
    assert.ok(
      !world.ledger.lastEvent()?.raw.includes(String(assembled.packageCid)),
      'no package CID in events',
    );

    await refused(world, call(world, U.exporter, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA), 'FORBIDDEN_ORG');
    await refused(
      world,
      call(world, U.customs, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA),
      'EXPORT_NOT_FOUND',
    );
    await refused(
      world,
      call(world, U.ecta, 'ApproveDdsPackage', 'EX-1', OTHER_LAYER_SHA),
      'EUDR_PACKAGE_CHANGED',
    );
    await refused(
      world,
      call(world, U.exporter, 'RecordDdsReference', 'EX-1', { reference: 'DDS-1' }),
      'INVALID_TRANSITION',
    );
    const approved = await write(world, U.ecta, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA);
    assert.equal(approved.status, 'APPROVED');
    assert.equal((approved.approvedBy as Json).mspId, 'ECTAMSP');
    await refused(
      world,
      call(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2'])),
      'INVALID_TRANSITION',
    );
    await refused(world, call(world, U.ecta, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA), 'INVALID_TRANSITION');

    await runSteps(world, 'EX-1', QUALITY_CERTIFIED, CLEAR_CUSTOMS + 1);
    assert.equal((await world.get('EX-1')).status, 'CUSTOMS_CLEARED', 'customs clears once ECTA approved');

    await refused(
      world,
      call(world, U.exporter2, 'RecordDdsReference', 'EX-1', { reference: 'DDS-1' }),
      'EXPORT_NOT_FOUND',
    );
    await refused(
      world,
      call(world, U.bank, 'RecordDdsReference', 'EX-1', { reference: 'DDS-1' }),
      'FORBIDDEN_ROLE',
    );
    const referenced = await write(world, U.exporter, 'RecordDdsReference', 'EX-1', {
      reference: '25DEABCDEF1234',
      verificationNumber: 'VN7QX2',
    });
    assert.deepEqual(
      [referenced.status, (referenced.reference as Json).reference],
      ['REFERENCED', '25DEABCDEF1234'],
    );
    await refused(
      world,
      call(world, U.exporter, 'RecordDdsReference', 'EX-1', { reference: 'DDS-2' }),
      'INVALID_TRANSITION',
    );

    const names = world.ledger.events.map((e) => e.name).filter((n) => n.startsWith('Eudr'));
    assert.deepEqual(names, [
      'EudrForestLayerSet',
      'EudrPlotRegistered',
      'EudrPlotRegistered',
      'EudrLotsLinked',
      'EudrPlotReviewed',
      'EudrPackageAssembled',
      'EudrPackageAssembled',
      'EudrPackageApproved',
      'EudrPackageReferenced',
    ]);
  });

  it('an export’s EUDR state: details for the plot audience, the status only for the others, the proof for anyone', async () => {
    const world = await eudrWorld();
    await call(world, U.ecta, 'ReviewPlot', 'P-2', 'REVIEW_CLEARED', 'ok');
    await euExport(world, 'EX-1', QUALITY_CERTIFIED);
    await call(world, U.grader, 'LinkLotPlots', 'EX-1', lotsOf('P-1', 'P-2'));
    const assembled = await write(world, U.exporter, 'AssembleDdsPackage', 'EX-1', pkg(['P-1', 'P-2']));
    await call(world, U.ecta, 'ApproveDdsPackage', 'EX-1', PACKAGE_SHA);
    await runSteps(world, 'EX-1', QUALITY_CERTIFIED, SHIPMENT_BOOKED);

    await denied(read(world, U.exporter2, 'GetExportEudr', 'EX-1'), 'EXPORT_NOT_FOUND');
    for (const who of [U.fx, U.shipping]) {
      const limited = await read(world, who, 'GetExportEudr', 'EX-1');
      assert.deepEqual(
        limited,
        { exportId: 'EX-1', required: true, package: { status: 'APPROVED' } },
        who.commonName,
      );
    }
    for (const who of [U.exporter, U.bank, U.ecta, U.grader, U.customs]) {
      const full = await read(world, who, 'GetExportEudr', 'EX-1');
      assert.equal(full.required, true);
      assert.equal((full.package as Json).packageCid, assembled.packageCid, who.commonName);
      assert.deepEqual(
        (full.plots as Json[]).map((p) => [p.plotId, p.status]),
        [
          ['P-1', 'CLEAR'],
          ['P-2', 'REVIEW_CLEARED'],
        ],
      );
    }

    const stranger: Identity = { mspId: 'ECXMSP', commonName: 'not-registered', role: 'grader' };
    const proof = await read(world, stranger, 'GetPublicEudr', 'EX-1');
    assert.deepEqual(proof, {
      exportId: 'EX-1',
      required: true,
      package: { status: 'APPROVED', packageSha256: PACKAGE_SHA },
      plots: [
        { commitment: commitmentOf('P-1'), status: 'CLEAR' },
        { commitment: commitmentOf('P-2'), status: 'REVIEW_CLEARED' },
      ].sort((a, b) => (a.commitment < b.commitment ? -1 : 1)),
    });
    const text = JSON.stringify(proof);
    for (const marker of ['P-1', 'EXP-001', 'bafy', 'LOT-77', '19200']) {
      assert.ok(!text.includes(marker), `the public proof leaks ${marker}`);
    }
    const us = await newWorld();
    await submit(us, 'US-1');
    assert.deepEqual(await read(us, stranger, 'GetPublicEudr', 'US-1'), {
      exportId: 'US-1',
      required: false,
      package: null,
      plots: [],
    });
  });
});
