/**
 * Checks every message, field and enum of src/images/proto against CRIU's
 * own schema as compiled into Debian's pycriu (criu 3.17), with
 * check_proto_facts.py. Skipped when pycriu is not installed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoRoot } from '../../src/images/schema';

const PYCRIU = '/usr/lib/python3/dist-packages/pycriu/images/pb.py';
const CHECKER = path.join(__dirname, 'check_proto_facts.py');
const skipReason = fs.existsSync(PYCRIU) ? undefined : `pycriu not installed (${PYCRIU} missing; apt-get install criu)`;

interface FieldFacts {
  name: string;
  id: number;
  type: string;
  label: 'required' | 'optional' | 'repeated';
  default: string | null;
  packed: boolean;
}

function typeOf(f: protobuf.Field): string {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) return `message:${rt.fullName.slice(1)}`;
  if (rt instanceof protobuf.Enum) return `enum:${rt.fullName.slice(1)}`;
  return f.type;
}

function defaultOf(f: protobuf.Field): string | null {
  const d: unknown = f.options?.default;
  if (d === undefined) return null;
  if (f.resolvedType instanceof protobuf.Enum && typeof d === 'string') return String(f.resolvedType.values[d]);
  return String(d);
}

/** Our schema, as the JSON check_proto_facts.py reads. */
function describeSchema(root: protobuf.Root) {
  const messages: Record<string, { file: string; fields: FieldFacts[] }> = {};
  const enums: Record<string, Record<string, number>> = {};
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        messages[obj.fullName.slice(1)] = {
          file: path.basename(obj.filename ?? '?'),
          fields: obj.fieldsArray.map((f) => ({
            name: f.name,
            id: f.id,
            type: typeOf(f),
            label: f.repeated ? 'repeated' : f.required ? 'required' : 'optional',
            default: defaultOf(f),
            packed: f.packed,
          })),
        };
      } else if (obj instanceof protobuf.Enum) {
        enums[obj.fullName.slice(1)] = { ...obj.values };
      }
      if (obj instanceof protobuf.Namespace) walk(obj);
    }
  };
  walk(root);
  return { messages, enums };
}

describe('src/images/proto matches CRIU', () => {
  it('declares messages and enums', () => {
    const schema = describeSchema(protoRoot());
    expect(Object.keys(schema.messages).length).toBeGreaterThan(50);
    expect(schema.enums['fd_types']).toMatchObject({ REG: 1, MEMFD: 18, CTL_TTY: 65534 });
  });

  it.skipIf(skipReason !== undefined)(`every message, field and enum agrees with pycriu${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
    const schema = describeSchema(protoRoot());
    const run = spawnSync('python3', [CHECKER], { input: JSON.stringify(schema), encoding: 'utf8' });
    if (run.error) throw run.error;
    const report = JSON.parse(run.stdout || '{}') as { errors?: string[]; omitted?: string[]; checked?: Record<string, number>; unavailable?: string };
    expect(report.unavailable, run.stderr).toBeUndefined();
    expect(report.errors, run.stderr).toEqual([]);
    expect(run.status).toBe(0);
    expect(report.checked?.fields).toBeGreaterThan(400);
    // Deliberately left out: other architectures' registers and fd kinds amber does not handle yet.
    expect(report.omitted).toContain('core_entry.ti_arm = 6 (thread_info_arm)');
    expect(report.omitted).toContain('file_entry.tunf = 11 (tunfile_entry)');
  });
});
