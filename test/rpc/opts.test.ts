/**
 * The criu_opts table (src/rpc/opts.ts) and `amber service` arguments, without root: every field
 * of amber's rpc.proto criu_opts has a declared use, refused fields are named with their reason,
 * ignored ones are reported, and CRIU's field numbers are the ones pycriu (Debian's criu) has.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { checkOptions, OPTION_USE } from '../../src/rpc/opts';
import { decodeReq, encodeReq, isSet, ReqType } from '../../src/rpc/messages';
import { socketOptions } from '../../src/rpc/socket-options';
import { DEFAULT_SERVICE_ADDRESS, parseServiceArgs } from '../../src/rpc/service-args';

const protoPath = path.join(__dirname, '../../src/rpc/proto/rpc.proto');
const optsType = () => new protobuf.Root().loadSync(protoPath, { keepCase: true }).lookupType('criu_opts');
const pycriu = fs.existsSync('/usr/lib/python3/dist-packages/pycriu/rpc_pb2.py');

describe('criu_opts use table', () => {
  it('declares every criu_opts field of rpc.proto, and nothing else', () => {
    const fields = Object.keys(optsType().fields).sort();
    expect(Object.keys(OPTION_USE).sort()).toEqual(fields);
  });

  it('refuses what it cannot do, naming each field and why', () => {
    expect(() => checkOptions('DUMP', { images_dir_fd: 3, track_mem: true, ps: { port: 1 } })).toThrow(/ps \(amber has no page server\); track_mem \(amber has no incremental dumps/);
    expect(() => checkOptions('RESTORE', { images_dir_fd: 3, manage_cgroups_mode: 4 })).toThrow(/manage_cgroups_mode/);
    expect(() => checkOptions('RESTORE', { images_dir_fd: 3, skip_mnt: ['/x'] })).toThrow(/skip_mnt/);
  });

  it('takes what changes nothing in amber, and says so', () => {
    expect(checkOptions('DUMP', { images_dir_fd: 3, manage_cgroups_mode: 1, skip_mnt: [], track_mem: false })).toEqual([]);
    expect(checkOptions('DUMP', { images_dir_fd: 3, cpu_cap: 0, weak_sysctls: true, timeout: 5 })).toEqual([
      expect.stringMatching(/^cpu_cap ignored/), expect.stringMatching(/^weak_sysctls ignored/),
    ]);
  });

  it('reads presence as the sender set it: a decoded default is not a setting', () => {
    const req = decodeReq(encodeReq({ type: ReqType.DUMP, opts: { images_dir_fd: 3, tcp_close: true } }));
    expect(isSet(req.opts, 'tcp_close')).toBe(true);
    expect(isSet(req.opts, 'network_lock')).toBe(false);
    expect(req.opts!.ghost_limit).toBe(1 << 20); // the declared default, on the prototype
    expect(checkOptions('DUMP', req.opts!)).toEqual([]);
    // IPTABLES is the field's declared default, not CRIU's choice: unset means amber's default.
    expect(socketOptions('DUMP', req.opts!)).toMatchObject({ tcpClose: true, networkLock: 'nftables' });
    const skip = decodeReq(encodeReq({ type: ReqType.DUMP, opts: { images_dir_fd: 3, network_lock: 3 } }));
    expect(socketOptions('DUMP', skip.opts!).networkLock).toBe('skip');
  });
});

describe.skipIf(!pycriu)('rpc.proto against Debian\'s pycriu', () => {
  it('has the field numbers and types of pycriu\'s rpc_pb2 for every message both know', () => {
    const py = spawnSync('/usr/bin/python3', ['-c', `
import json, pycriu.rpc_pb2 as r
out = {}
for n, m in r.DESCRIPTOR.message_types_by_name.items():
    out[n] = {f.name: [f.number, f.type, f.label] for f in m.fields}
print(json.dumps(out))`], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const theirs: Record<string, Record<string, [number, number, number]>> = JSON.parse(py.stdout);
    const root = new protobuf.Root().loadSync(protoPath, { keepCase: true });
    // protobuf descriptor type numbers for the proto types used in rpc.proto
    const TYPE: Record<string, number> = { bool: 8, int32: 5, uint32: 13, string: 9 };
    for (const [msg, fields] of Object.entries(theirs)) {
      const ours = root.lookupType(msg);
      for (const [name, [num, type, label]] of Object.entries(fields)) {
        const f = ours.fields[name];
        expect(f, `${msg}.${name}`).toBeDefined();
        expect(f.id, `${msg}.${name}`).toBe(num);
        expect(f.repeated ? 3 : f.required ? 2 : 1, `${msg}.${name} label`).toBe(label);
        f.resolve();
        const t = f.resolvedType instanceof protobuf.Type ? 11 : f.resolvedType instanceof protobuf.Enum ? 14 : TYPE[f.type];
        expect(t, `${msg}.${name} type`).toBe(type);
      }
    }
  });
});

describe('amber service arguments', () => {
  it('takes CRIU\'s service options, with CRIU\'s default address', () => {
    expect(parseServiceArgs([])).toMatchObject({ address: DEFAULT_SERVICE_ADDRESS, daemon: false, verbosity: 2 });
    expect(parseServiceArgs(['--address', '/run/a.sock', '-d', '--pidfile=/run/a.pid', '-o', 'svc.log', '-v4', '--status-fd', '7']))
      .toEqual({ address: '/run/a.sock', daemon: true, pidfile: '/run/a.pid', logFile: 'svc.log', verbosity: 4, statusFd: 7 });
    expect(() => parseServiceArgs(['--port', '1'])).toThrow(/unknown option --port/);
    expect(() => parseServiceArgs(['--address'])).toThrow(/needs a value/);
  });
});
