import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  ClockCheckedContract,
  Fields,
  emitEvent,
  isoFromMillis,
  readAll,
  readState,
  toJson,
  txIso,
  txMillis,
  writeState,
} from '@coffee/chaincode-common';
import { MSP } from '@coffee/consortium';
import { authorize } from '../lib/access';
import { fail } from '../lib/errors';
import { EVENTS } from '../lib/events';
import { GRADES, MAX_USD_PER_KG, REGION_PATTERN, readInstant } from '../model/common';
import {
  MIN_PRICE_KEY,
  MIN_PRICE_SEQUENCE_KEY,
  type MinimumPrice,
  minPriceId,
  minPriceKey,
  minimumPriceInForce,
  nextSchedule,
  parseMinimumPrice,
  parseSequence,
  scheduleKey,
} from '../model/minprice';

/**
 * ECTA's minimum export price table. Rows are never changed: a new price is a new row with its own
 * effective-from, so every registration can name the exact row it was checked against.
 */
@Info({
  title: 'MinimumPrice',
  description: 'Versioned ECTA minimum export prices by grade and origin region',
})
export class MinimumPriceContract extends ClockCheckedContract {
  constructor() {
    super('minprice');
  }

  /** ECTA ecta_officer. input: {grade: G1-G9, originRegion?: UPPER_SNAKE, usdPerKg, effectiveFrom: ISO date} */
  @Transaction()
  @Returns('string')
  public async PublishMinimumPrice(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const grade = f.oneOf('grade', GRADES);
    const originRegion = f.optStr('originRegion', { max: 64, pattern: REGION_PATTERN });
    const usdPerKg = f.num('usdPerKg', { min: 0.0001, max: MAX_USD_PER_KG, decimals: 4 });
    const [, effectiveMillis] = readInstant(f, 'effectiveFrom');
    f.end();
    const actor = await authorize(ctx, [{ msp: MSP.ECTA, roles: ['ecta_officer'] }]);
    const sequence = (await readState(ctx, MIN_PRICE_SEQUENCE_KEY, parseSequence)) ?? { next: 1 };
    if (sequence.next >= 999_999) {
      fail('VALIDATION_FAILED', 'the minimum price table is full');
    }
    const row: MinimumPrice = {
      docType: 'minimumPrice',
      id: minPriceId(sequence.next),
      grade,
      originRegion,
      usdPerKg,
      effectiveFrom: isoFromMillis(effectiveMillis),
      publishedAt: txIso(ctx),
      publishedBy: actor.userId,
      txId: ctx.stub.getTxID(),
    };
    await writeState(ctx, MIN_PRICE_SEQUENCE_KEY, { next: sequence.next + 1 });
    await writeState(ctx, minPriceKey(ctx, grade, row.id), row);
    await writeState(ctx, scheduleKey(ctx, grade), await nextSchedule(ctx, row, txMillis(ctx)));
    emitEvent(ctx, EVENTS.minimumPricePublished, { ...row });
    return toJson(row);
  }

  /** input: {grade?} -> every published row (optionally of one grade), oldest first. */
  @Transaction(false)
  @Returns('string')
  public async ListMinimumPrices(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const grade = f.optOneOf('grade', GRADES);
    f.end();
    const rows = await readAll(ctx, MIN_PRICE_KEY, grade === undefined ? [] : [grade], parseMinimumPrice);
    return toJson({ records: rows.sort((a, b) => (a.id < b.id ? -1 : 1)) });
  }

  /** input: {grade, originRegion} -> the row in force at this transaction's timestamp. */
  @Transaction(false)
  @Returns('string')
  public async GetMinimumPriceInForce(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const grade = f.oneOf('grade', GRADES);
    const originRegion = f.str('originRegion', { max: 64, pattern: REGION_PATTERN });
    f.end();
    return toJson(await minimumPriceInForce(ctx, grade, originRegion));
  }
}
