/**
 * The text forms crit's JSON uses, against Python's own (the language crit is
 * written in): json.dumps layout and escapes, MIME base64 lines,
 * quoted-printable, int(x, 0), IPv6 text. Python parts skipped without python3.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { base64Lines, fromBase64, fromQuotedPrintable, quotedPrintable } from '../../src/crit/bytes-text';
import { ipWords, pyInt, renderMessage } from '../../src/crit/codec';
import { type JsonValue, parse, stringify } from '../../src/crit/json';
import { messageType } from '../../src/images/schema';

const PY = '/usr/bin/python3';
const noPython = !fs.existsSync(PY);

function python(code: string, input: unknown): any {
  const r = spawnSync(PY, ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

// A deterministic byte soup with the characters quoted-printable cares about.
function samples(): Buffer[] {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = [0, 9, 10, 13, 32, 46, 61, 65, 97, 126, 127, 128, 255, 95];
  const out: Buffer[] = [Buffer.alloc(0), Buffer.from('.'), Buffer.from(' '), Buffer.from('a\n'), Buffer.from('\0abstract'), Buffer.from('/tmp/sock'), Buffer.from('x'.repeat(200))];
  for (let i = 0; i < 300; i++) {
    const len = rnd() % 180;
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = rnd() % 3 === 0 ? alphabet[rnd() % alphabet.length] : 32 + (rnd() % 95);
    out.push(b);
  }
  return out;
}

describe.skipIf(noPython)('against Python', () => {
  const data = samples();

  it('quoted-printable and base64 as binascii writes them, and back', () => {
    const theirs = python(
      'import sys, json, base64, quopri\n' +
        'xs = [base64.b64decode(x) for x in json.load(sys.stdin)]\n' +
        'print(json.dumps([[quopri.encodestring(x).decode("latin1"), base64.encodebytes(x).decode()] for x in xs]))',
      data.map((d) => d.toString('base64')),
    ) as [string, string][];
    data.forEach((d, i) => {
      expect(quotedPrintable(d), JSON.stringify(d.toString('latin1'))).toBe(theirs[i][0]);
      expect(base64Lines(d)).toBe(theirs[i][1]);
      expect(fromQuotedPrintable(theirs[i][0]).equals(d)).toBe(true);
      expect(fromBase64(theirs[i][1]).equals(d)).toBe(true);
    });
  });

  it('json.dumps layout, compact and indent=4, with escapes', () => {
    const strings = ['plain', 'quote " back \\ slash', 'tab\tnl\ncr\r\b\f', '\u0000\u001f\u007f', 'é ü 中文', '😀', ''];
    const value: JsonValue = { s: strings, n: [0n, -1n, 18446744073709551615n], b: [true, false], e: [], o: {}, nested: { a: [{ x: 1n }], z: 'y' } };
    const text = stringify(value);
    const theirs = python('import sys, json\nv = json.loads(json.load(sys.stdin))\nprint(json.dumps([json.dumps(v), json.dumps(v, indent=4)]))', text);
    expect(text).toBe(theirs[0]);
    expect(stringify(value, 4)).toBe(theirs[1]);
    expect(parse(theirs[1])).toEqual(value);
  });

  it('int(x, 0) and IPv6 text as Python has them', () => {
    const ints = ['0', '00', '0x1F', '0X1f', '0o17', '0b101', '-0x10', '+7', ' 42 ', '1_000', '0x_ff', '18446744073709551615'];
    const theirs = python('import sys, json\nprint(json.dumps([str(int(x, 0)) for x in json.load(sys.stdin)]))', ints) as string[];
    ints.forEach((s, i) => expect(pyInt(s)).toBe(BigInt(theirs[i])));
    for (const bad of ['012', '0x', '', '1__0', 'abc']) expect(() => pyInt(bad)).toThrow();

    const addrs = ['::', '::1', '1::', 'fe80::1:2', '2001:db8::8:800:200c:417a', '1:0:0:1:0:0:0:1', '1:0:1:0:1:0:1:0', '0:0:1::', '::ffff:127.0.0.1', '::ffff:7f00:1', 'ABCD:EF01:2345:6789:ABCD:EF01:2345:6789'];
    const py = python(
      'import sys, json, socket, ipaddress\n' +
        'out = []\n' +
        'for a in json.load(sys.stdin):\n' +
        '    v = int(ipaddress.ip_address(a))\n' +
        '    out.append([ipaddress.IPv6Address(v).compressed, [socket.htonl((v >> (32 * k)) & 0xFFFFFFFF) for k in (3, 2, 1, 0)]])\n' +
        'print(json.dumps(out))',
      addrs,
    ) as [string, number[]][];
    const inet6 = messageType('inet_sk_entry');
    addrs.forEach((a, i) => {
      expect(ipWords(a), a).toEqual(py[i][1]);
      const shown = renderMessage(inet6, { src_addr: py[i][1] }, true) as { src_addr: string[] };
      expect(shown.src_addr, a).toEqual([py[i][0]]);
    });
    expect(ipWords('127.0.0.1')).toEqual([0x0100007f]);
    expect(() => ipWords('1.2.3')).toThrow();
  });
});
