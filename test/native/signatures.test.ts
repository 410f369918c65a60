/**
 * The native layer and its TypeScript types say the same thing: every function registered in
 * native/*.cc with Define(env, exports, "name", "signature", fn) is declared in
 * src/native/index.ts's NativeAddon (or, for the probes of `amber check`, src/check/sys.ts's
 * CheckNative), and the other way round, with as many parameters, the same
 * optional ones, and types the signature letters accept (addon.cc's ArgMismatch). Nothing else
 * keeps the two in step: a declaration that drifted would let TypeScript pass calls the addon
 * refuses, or the reverse.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');

/** name -> signature letters, from every Define(...) in native/. */
function nativeSignatures(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(path.join(root, 'native')).filter((n) => n.endsWith('.cc'))) {
    const text = fs.readFileSync(path.join(root, 'native', f), 'utf8');
    for (const m of text.matchAll(/Define\(env, exports, "(\w+)", "([^"]*)"/g)) out.set(m[1], m[2]);
  }
  return out;
}

/** Splits at the commas that are not inside brackets. */
function topLevel(s: string, sep = ','): string[] {
  const parts: string[] = [];
  let depth = 0, cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if ('([{<'.includes(c)) depth++;
    if (')]}'.includes(c) || (c === '>' && s[i - 1] !== '=')) depth--;
    if (c === sep && depth === 0) { parts.push(cur.trim()); cur = ''; } else cur += c;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

interface Param { name: string; optional: boolean; type: string }

/** name -> parameters, from the interfaces that type the addon. */
function declarations(): Map<string, Param[]> {
  return new Map([...members('src/native/index.ts', 'export interface NativeAddon {'), ...members('src/check/sys.ts', 'interface CheckNative {')]);
}

function members(file: string, opening: string): Map<string, Param[]> {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  if (!text.includes(opening)) throw new Error(`${file} has no ${opening}`);
  const body = text.slice(text.indexOf(opening));
  const iface = body.slice(body.indexOf('{') + 1, body.indexOf('\n}'));
  const clean = iface.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const out = new Map<string, Param[]>();
  for (const member of topLevel(clean, ';')) {
    const m = /^(\w+)\(([\s\S]*)\)\s*:\s*[\s\S]+$/.exec(member);
    if (!m) throw new Error(`cannot read the declaration ${member}`);
    // The parameter list ends at the parenthesis that closes the first one.
    let depth = 0, end = 0;
    const rest = member.slice(member.indexOf('('));
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '(') depth++;
      if (rest[i] === ')' && --depth === 0) { end = i; break; }
    }
    const params = topLevel(rest.slice(1, end)).map((p) => {
      const pm = /^(\w+)(\??)\s*:\s*([\s\S]+)$/.exec(p);
      if (!pm) throw new Error(`cannot read parameter ${p} of ${m[1]}`);
      return { name: pm[1], optional: pm[2] === '?', type: pm[3].replace(/\s+/g, ' ').trim() };
    });
    out.set(m[1], params);
  }
  return out;
}

/** The signature letters a parameter of this TypeScript type may have. */
function lettersFor(type: string): string {
  const t = topLevel(type, '|').map((x) => x.trim()).filter((x) => x !== 'undefined').sort().join(' | ');
  if (['number', 'bigint', 'bigint | number'].includes(t)) return 'pPiu';
  if (t === 'boolean') return 'b';
  if (t === 'Buffer' || t === 'Uint8Array') return 'B';
  if (t === 'Buffer | null' || t === 'null | Buffer') return 'N';
  if (t === 'string') return 's';
  if (t === 'null | string' || t === 'string | null') return 'S';
  if (t === 'BigUint64Array') return 'T';
  if (/\[\]$/.test(t) || /^(readonly )?\w+\[\]$/.test(t) || /^(Readonly)?Array</.test(t)) return 'a';
  if (/=>/.test(t)) return 'f';
  return '';
}

describe('native signatures', () => {
  const natives = nativeSignatures();
  const decls = declarations();

  it('every native function is declared, and every declaration is a native function', () => {
    expect(natives.size).toBeGreaterThan(60);
    expect([...natives.keys()].filter((n) => !decls.has(n)).sort()).toEqual([]);
    expect([...decls.keys()].filter((n) => !natives.has(n)).sort()).toEqual([]);
  });

  it('each declaration has the parameters, optional ones and types of its native signature', () => {
    const wrong: string[] = [];
    for (const [name, sig] of natives) {
      const params = decls.get(name);
      if (!params) continue;
      // A letter followed by '?' is an optional argument.
      const letters = sig.replace(/\?/g, '');
      const optional = [...sig].flatMap((c, i) => (c === '?' ? [] : [sig[i + 1] === '?']));
      if (params.length !== letters.length) {
        wrong.push(`${name}: ${params.length} parameters declared, signature "${sig}" has ${letters.length}`);
        continue;
      }
      params.forEach((p, i) => {
        if (p.optional !== optional[i]) wrong.push(`${name}: parameter ${p.name} is ${p.optional ? '' : 'not '}optional, signature "${sig}" says otherwise`);
        if (!lettersFor(p.type).includes(letters[i])) wrong.push(`${name}: parameter ${p.name}: ${p.type} against letter '${letters[i]}' of "${sig}"`);
      });
    }
    expect(wrong).toEqual([]);
  });
});
