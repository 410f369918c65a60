/** Every app test, in the order they run. */
import type { AppCase } from '../lib/app';
import { asyncioCase } from './asyncio';
import { nginxCase } from './nginx';
import { nodeHttpCase } from './node-http';
import { redisCase } from './redis';

export const allCases: AppCase[] = [redisCase, nginxCase, nodeHttpCase, asyncioCase];
