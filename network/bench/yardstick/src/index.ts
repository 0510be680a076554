import { AssetContract } from './asset';

export const contracts: (typeof AssetContract)[] = [AssetContract];
