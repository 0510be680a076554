import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

/**
 * The bench's yardstick (fabric-samples asset-transfer-basic's CreateAsset, cut to one key): one putState of a
 * small fixed-shape value, no access checks, no cross-chaincode call, no private data, no events. The same
 * network, peers and clients as the coffee-export chaincode, so their ratio isolates what our chaincode costs.
 */
@Info({ title: 'Yardstick', description: 'one-key CreateAsset for the bench' })
export class AssetContract extends Contract {
  constructor() {
    super('asset');
  }

  @Transaction()
  public async CreateAsset(ctx: Context, id: string, value: string): Promise<void> {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`invalid asset id '${id}'`);
    const existing = await ctx.stub.getState(id);
    if (existing.length > 0) throw new Error(`asset ${id} already exists`);
    await ctx.stub.putState(id, Buffer.from(JSON.stringify({ id, value })));
  }

  @Transaction(false)
  @Returns('string')
  public async ReadAsset(ctx: Context, id: string): Promise<string> {
    const bytes = await ctx.stub.getState(id);
    if (bytes.length === 0) throw new Error(`asset ${id} does not exist`);
    return Buffer.from(bytes).toString('utf8');
  }
}
