#!/usr/bin/env python3
"""Compare amber's .proto schema with CRIU's, as compiled into pycriu.

Reads on stdin a JSON description of amber's messages and enums (written by
proto-facts.test.ts from the protobufjs reflection of src/images/proto) and
checks every message, field and enum against the descriptors of Debian's
pycriu package: file, name, number, type, label, default, packing.

A CRIU field may be absent from amber's message only when its type is a
message amber does not declare (e.g. the other architectures' registers).

Prints a JSON report on stdout; exit status 1 when anything differs,
2 when pycriu is not installed.
"""
import json
import sys

sys.path.insert(0, '/usr/lib/python3/dist-packages')
try:
    from pycriu.images import pb  # noqa: F401  (importing it registers every message)
    from google.protobuf import descriptor_pool
    from google.protobuf.descriptor import FieldDescriptor as FD
except ImportError as e:
    print(json.dumps({'unavailable': str(e)}))
    sys.exit(2)

SCALARS = {
    FD.TYPE_DOUBLE: 'double', FD.TYPE_FLOAT: 'float',
    FD.TYPE_INT64: 'int64', FD.TYPE_UINT64: 'uint64', FD.TYPE_INT32: 'int32',
    FD.TYPE_FIXED64: 'fixed64', FD.TYPE_FIXED32: 'fixed32', FD.TYPE_BOOL: 'bool',
    FD.TYPE_STRING: 'string', FD.TYPE_BYTES: 'bytes', FD.TYPE_UINT32: 'uint32',
    FD.TYPE_SFIXED32: 'sfixed32', FD.TYPE_SFIXED64: 'sfixed64',
    FD.TYPE_SINT32: 'sint32', FD.TYPE_SINT64: 'sint64',
}
LABELS = {FD.LABEL_OPTIONAL: 'optional', FD.LABEL_REQUIRED: 'required', FD.LABEL_REPEATED: 'repeated'}


def type_of(f):
    if f.type == FD.TYPE_MESSAGE:
        return 'message:' + f.message_type.full_name
    if f.type == FD.TYPE_ENUM:
        return 'enum:' + f.enum_type.full_name
    return SCALARS[f.type]


def default_of(f):
    if not f.has_default_value:
        return None
    v = f.default_value
    if isinstance(v, bool):
        return 'true' if v else 'false'
    return str(v)


def packed_of(f):
    opts = f.GetOptions()
    return bool(opts.HasField('packed') and opts.packed)


# Fields CRIU added after 3.17 (the pycriu installed here), with their numbers in CRIU's public images/.
NEWER_THAN_PYCRIU = {
    'creds_entry.no_new_privs': (18, 'uint32', 'optional'),
    'sk_packet_entry.ucred': (128, 'message:sk_ucred_entry', 'optional'),
    # CRIU reserves 3 for the message address and does not write it; amber does.
    'sk_packet_entry.addr': (3, 'bytes', 'optional'),
    'ip_opts_entry.pktinfo': (5, 'bool', 'optional'),
    'ip_opts_entry.tos': (6, 'uint32', 'optional'),
    'ip_opts_entry.ttl': (7, 'uint32', 'optional'),
    'memfd_inode_entry.mode': (9, 'uint32', 'optional'),
    # CRIU 4.x: the page count as a uint64 (its name nr_pages; field 2 became compat_nr_pages).
    'pagemap_entry.nr_pages_64': (5, 'uint64', 'optional'),
}
# Messages CRIU added after 3.17.
NEWER_MESSAGES = {'sk_ucred_entry'}
# Messages of amber's own, used only by amber's own fields.
AMBER_MESSAGES = {'tcp_opts_entry', 'int_opt_entry', 'tcp_reconnect_entry', 'pidfd_entry'}
# Enum values of amber's own (kinds CRIU has no number for), numbered from AMBER_FIELDS_FROM on.
AMBER_ENUM_VALUES = {'fd_types': {'PIDFD': 1001}}
# amber's own fields are numbered from here on, out of CRIU's way (CRIU ignores unknown fields).
AMBER_FIELDS_FROM = 1000


def main():
    ours = json.load(sys.stdin)
    pool = descriptor_pool.Default()
    errors, omitted = [], []
    n_fields = 0
    our_messages = set(ours['messages'])

    for name, msg in sorted(ours['messages'].items()):
        try:
            d = pool.FindMessageTypeByName(name)
        except KeyError:
            if name not in NEWER_MESSAGES and name not in AMBER_MESSAGES:
                errors.append('message %s: not in CRIU' % name)
            continue
        if msg['file'] != d.file.name:
            errors.append('message %s: in %s, CRIU has it in %s' % (name, msg['file'], d.file.name))
        theirs = {f.name: f for f in d.fields}
        for f in msg['fields']:
            n_fields += 1
            where = '%s.%s' % (name, f['name'])
            t = theirs.get(f['name'])
            if t is None and (f.get('id') or 0) >= AMBER_FIELDS_FROM:
                continue
            if t is None:
                newer = NEWER_THAN_PYCRIU.get(where)
                if newer is None or newer != (f.get('id'), f.get('type'), f.get('label')):
                    errors.append('%s: no such field in CRIU' % where)
                continue
            want = {'id': t.number, 'type': type_of(t), 'label': LABELS[t.label],
                    'default': default_of(t), 'packed': packed_of(t)}
            for key, value in want.items():
                if f.get(key) != value:
                    errors.append('%s: %s is %r, CRIU has %r' % (where, key, f.get(key), value))
        mine = {f['name'] for f in msg['fields']}
        for t in d.fields:
            if t.name in mine:
                continue
            where = '%s.%s' % (name, t.name)
            if t.type == FD.TYPE_MESSAGE and t.message_type.full_name not in our_messages and t.label != FD.LABEL_REQUIRED:
                omitted.append('%s = %d (%s)' % (where, t.number, t.message_type.full_name))
            else:
                errors.append('%s = %d: missing (CRIU has %s %s)' % (where, t.number, LABELS[t.label], type_of(t)))

    for name, values in sorted(ours['enums'].items()):
        try:
            e = pool.FindEnumTypeByName(name)
        except KeyError:
            errors.append('enum %s: not in CRIU' % name)
            continue
        theirs = {v.name: v.number for v in e.values}
        own = AMBER_ENUM_VALUES.get(name, {})
        values = {k: v for k, v in values.items() if own.get(k) != v}
        if values != theirs:
            errors.append('enum %s: values %r, CRIU has %r' % (name, values, theirs))

    print(json.dumps({'errors': errors, 'omitted': omitted,
                      'checked': {'messages': len(ours['messages']), 'fields': n_fields, 'enums': len(ours['enums'])}},
                     indent=1))
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
