'use strict';
/**
 * The Debian mirrors this machine's apt is configured with (deb822 *.sources and one-line
 * *.list files), so the matrix downloads from the same place as `apt-get install` does.
 */
const fs = require('node:fs');
const path = require('node:path');

const DEFAULTS = { debian: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' };

function sourceFiles(etc = '/etc/apt') {
  const files = [path.join(etc, 'sources.list')];
  const dir = path.join(etc, 'sources.list.d');
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(path.join(dir, f));
    }
  }
  return files.filter((f) => fs.existsSync(f));
}

/** [{ uri, suites: [...] }] of every enabled deb source. */
function parseSources(file, text) {
  const out = [];
  if (file.endsWith('.sources')) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name) => (new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza) || [])[1];
      if (!(field('Types') || '').split(/\s+/).includes('deb') || /^no$/i.test(field('Enabled') || '')) continue;
      for (const uri of (field('URIs') || '').split(/\s+/).filter(Boolean)) {
        out.push({ uri, suites: (field('Suites') || '').split(/\s+/).filter(Boolean) });
      }
    }
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1], suites: [m[2]] });
  }
  return out;
}

/** { debian, security }: the host's mirrors for the main archive and the security archive. */
function hostMirrors(etc) {
  const found = { ...DEFAULTS };
  const seen = { debian: false, security: false };
  for (const f of sourceFiles(etc)) {
    for (const s of parseSources(f, fs.readFileSync(f, 'utf8'))) {
      const kind = s.suites.some((x) => x.endsWith('-security')) ? 'security' : 'debian';
      if (!/debian/.test(s.uri) || seen[kind]) continue;
      found[kind] = s.uri.replace(/\/+$/, '');
      seen[kind] = true;
    }
  }
  return found;
}

module.exports = { hostMirrors, parseSources };
