/**
 * CRIU's RPC messages (src/rpc/proto/rpc.proto) with protobufjs: criu_req in, criu_resp out.
 * The .proto ships as-is and is found relative to this module, from src/ (tests) or dist/src/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { packageRoot } from '../package-root';

/** criu_req_type, by name. */
export const ReqType = {
  EMPTY: 0, DUMP: 1, RESTORE: 2, CHECK: 3, PRE_DUMP: 4, PAGE_SERVER: 5, NOTIFY: 6, CPUINFO_DUMP: 7,
  CPUINFO_CHECK: 8, FEATURE_CHECK: 9, VERSION: 10, WAIT_PID: 11, PAGE_SERVER_CHLD: 12, SINGLE_PRE_DUMP: 13,
} as const;
export type ReqTypeName = keyof typeof ReqType;

export function reqTypeName(type: number): string {
  return (Object.keys(ReqType) as ReqTypeName[]).find((k) => ReqType[k] === type) ?? `type ${type}`;
}

/** criu_network_lock_method. */
export const NetworkLock = { IPTABLES: 1, NFTABLES: 2, SKIP: 3 } as const;
/** criu_cg_mode values that mean "leave cgroups alone". */
export const CG_IGNORE = 0, CG_NONE = 1;

export interface CriuFeatures { mem_track?: boolean; lazy_pages?: boolean; pidfd_store?: boolean }
export interface InheritFdOpt { key: string; fd: number }

/** criu_opts as decoded: fields the client set are own properties (see isSet). */
export interface CriuOpts {
  images_dir_fd: number;
  images_dir?: string;
  pid?: number;
  leave_running?: boolean;
  ext_unix_sk?: boolean;
  tcp_established?: boolean;
  shell_job?: boolean;
  file_locks?: boolean;
  log_level?: number;
  log_file?: string;
  notify_scripts?: boolean;
  work_dir_fd?: number;
  link_remap?: boolean;
  rst_sibling?: boolean;
  inherit_fd?: InheritFdOpt[];
  ghost_limit?: number;
  external?: string[];
  tcp_skip_in_flight?: boolean;
  tcp_close?: boolean;
  network_lock?: number;
  leave_stopped?: boolean;
  timeout?: number;
  status_fd?: number;
  log_to_stderr?: boolean;
  [field: string]: unknown;
}

export interface CriuReq {
  type: number;
  opts?: CriuOpts;
  notify_success?: boolean;
  keep_open?: boolean;
  features?: CriuFeatures;
  pid?: number;
}

export interface CriuResp {
  type: number;
  success: boolean;
  dump?: { restored?: boolean };
  restore?: { pid: number };
  notify?: { script?: string; pid?: number };
  cr_errno?: number;
  features?: CriuFeatures;
  cr_errmsg?: string;
  version?: { major_number: number; minor_number: number; gitid?: string; sublevel?: number; extra?: number; name?: string };
  status?: number;
}

function protoFile(): string {
  // Next to the sources (vitest), or in the package (dist/src/rpc, or the bundle dist/amber.js).
  const tried = [path.resolve(__dirname, 'proto'), path.join(packageRoot(), 'src/rpc/proto')].map((d) => path.join(d, 'rpc.proto'));
  const found = tried.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`amber's rpc.proto not found; looked in: ${tried.join(', ')}`);
  return found;
}

let types: { req: protobuf.Type; resp: protobuf.Type } | undefined;

function rpcTypes(): { req: protobuf.Type; resp: protobuf.Type } {
  if (!types) {
    const root = new protobuf.Root().loadSync(protoFile(), { keepCase: true });
    root.resolveAll();
    types = { req: root.lookupType('criu_req'), resp: root.lookupType('criu_resp') };
  }
  return types;
}

/** Whether the sender set the field (proto2 presence: defaults live on the prototype). */
export function isSet(msg: object | undefined, field: string): boolean {
  return !!msg && Object.prototype.hasOwnProperty.call(msg, field);
}

/** Decodes one packet; throws protobufjs' error on a malformed one (a missing required field too). */
export function decodeReq(buf: Buffer): CriuReq {
  return rpcTypes().req.decode(buf) as unknown as CriuReq;
}

export function encodeReq(req: CriuReq): Buffer {
  const t = rpcTypes().req;
  return Buffer.from(t.encode(t.fromObject(req)).finish());
}

export function encodeResp(resp: CriuResp): Buffer {
  const t = rpcTypes().resp;
  return Buffer.from(t.encode(t.fromObject(resp)).finish());
}

export function decodeResp(buf: Buffer): CriuResp {
  return rpcTypes().resp.decode(buf) as unknown as CriuResp;
}
