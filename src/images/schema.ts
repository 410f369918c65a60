/**
 * Loads amber's .proto files (src/images/proto) into one protobufjs root,
 * once, on first use. The .proto files ship as-is in the package and are
 * found relative to this module, whether it runs from src/ (tests) or from
 * dist/src/ (the build).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { packageRoot } from '../package-root';

/** Where the .proto files may be, in search order. */
export function protoDirCandidates(): string[] {
  return [
    path.resolve(__dirname, 'proto'), // running the TypeScript sources (vitest)
    path.join(packageRoot(), 'src/images/proto'), // running dist/src/images/*.js or the bundle
  ];
}

/**
 * The .proto files compiled to protobufjs's JSON form by the build (scripts/bundle.js): loading
 * it takes a quarter of the time parsing the .proto files does, on every dump and restore.
 * Only used when it is newer than every .proto file (an edited .proto is never shadowed).
 */
export const PROTO_JSON = 'dist/proto.json';

function compiledRoot(dir: string, files: string[]): protobuf.Root | undefined {
  // Running the TypeScript sources (tests): parse them, which also keeps each type's file name.
  if (__filename.endsWith('.ts')) return undefined;
  const json = path.join(packageRoot(), PROTO_JSON);
  let built: number;
  try { built = fs.statSync(json).mtimeMs; } catch { return undefined; }
  if (files.some((f) => fs.statSync(f).mtimeMs > built)) return undefined;
  const r = protobuf.Root.fromJSON(JSON.parse(fs.readFileSync(json, 'utf8')));
  r.resolveAll();
  return r;
}

export function findProtoDir(): string {
  const tried = protoDirCandidates();
  for (const dir of tried) {
    if (fs.existsSync(path.join(dir, 'inventory.proto'))) return dir;
  }
  throw new Error(`amber's .proto files not found; looked in: ${tried.join(', ')}`);
}

let root: protobuf.Root | undefined;

export function protoRoot(): protobuf.Root {
  if (root) return root;
  // Without the `long` package protobufjs reads 64-bit fields as lossy doubles.
  if (!protobuf.util.Long) throw new Error('protobufjs has no Long support (package "long" missing): 64-bit fields would lose precision');
  const dir = findProtoDir();
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.proto'))
    .sort()
    .map((f) => path.join(dir, f));
  const compiled = compiledRoot(dir, files);
  if (compiled) return (root = compiled);
  const loaded = new protobuf.Root().loadSync(files, { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

const types = new Map<string, protobuf.Type>();

/** The reflected message type `name` (as spelled in the .proto files). */
export function messageType(name: string): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    type = protoRoot().lookupType(name);
    types.set(name, type);
  }
  return type;
}
