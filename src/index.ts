/**
 * amber-cr, the library: dump, restore and pre-dump as promises (api.ts), the errors they throw,
 * the image layer (read and write CRIU-format images) and the TCP repair library (soccr).
 */
export { dump, restore, preDump, AbortedError, type CallOptions, type DumpCall, type RestoreCall, type DumpResult, type RestoreResult, type ActionName } from './api';
export { AmberError, ImageError, SysError, UnsupportedError, UsageError } from './errors';
export * as images from './images';
export * as soccr from './soccr';
