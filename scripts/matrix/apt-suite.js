'use strict';
/**
 * A private apt state for one Debian suite and architecture, under the cache: its own
 * sources.list, lists and (empty) dpkg status, so any suite (bullseye, trixie, ...) can be
 * queried and downloaded from without touching this machine's apt configuration:
 *   apt-get -o Dir::Etc::sourcelist=... -o Dir::State::Lists=... update / download
 */
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('./exec');
const { MatrixError } = require('./errors');
const log = require('./log').createLog('apt');

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const MAX_AGE_MS = 24 * 3600 * 1000;

class AptSuite {
  /**
   * @param {string} root    directory of this apt state
   * @param {object} spec    { suite, arch, pockets: ['', '-updates', '-security', '-backports'] }
   * @param {object} mirrors { debian, security }
   */
  constructor(root, spec, mirrors) {
    this.root = root;
    this.suite = spec.suite;
    this.arch = spec.arch;
    this.pockets = spec.pockets || ['', '-updates', '-security'];
    this.mirrors = mirrors;
    this.updated = false;
  }

  sourcesText() {
    return this.pockets
      .map((p) => {
        const uri = p === '-security' ? this.mirrors.security : this.mirrors.debian;
        return `deb [signed-by=${KEYRING}] ${uri} ${this.suite}${p} main\n`;
      })
      .join('');
  }

  options() {
    const r = this.root;
    return [
      '-o', `Dir::Etc::sourcelist=${path.join(r, 'sources.list')}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State=${path.join(r, 'state')}`,
      '-o', `Dir::State::Lists=${path.join(r, 'lists')}`,
      '-o', `Dir::State::status=${path.join(r, 'status')}`,
      '-o', `Dir::Cache=${path.join(r, 'cache')}`,
      '-o', `APT::Architecture=${this.arch}`,
      '-o', `APT::Architectures=${this.arch}`,
      '-o', 'Acquire::Languages=none',
      '-o', 'Debug::NoLocking=true',
    ];
  }

  /** `apt-get update` of the private lists, at most once a day (or when the sources changed). */
  async update(force = false) {
    if (this.updated) return;
    for (const d of ['lists/partial', 'state', 'cache/archives/partial']) fs.mkdirSync(path.join(this.root, d), { recursive: true });
    const sources = path.join(this.root, 'sources.list');
    const stampFile = path.join(this.root, 'updated');
    const text = this.sourcesText();
    const same = fs.existsSync(sources) && fs.readFileSync(sources, 'utf8') === text;
    if (!fs.existsSync(path.join(this.root, 'status'))) fs.writeFileSync(path.join(this.root, 'status'), '');
    const fresh = same && fs.existsSync(stampFile) && Date.now() - fs.statSync(stampFile).mtimeMs < MAX_AGE_MS;
    if (!fresh || force) {
      fs.writeFileSync(sources, text);
      log.info(`apt-get update (${this.suite}, ${this.arch})`);
      try {
        await run(['apt-get', ...this.options(), 'update', '-qq']);
      } catch (e) {
        throw new MatrixError('APT', `cannot update the package lists of ${this.suite}/${this.arch}`, { cause: e });
      }
      fs.writeFileSync(stampFile, new Date().toISOString());
    }
    this.updated = true;
  }

  /** Candidate version of a package, or null when the suite has none. */
  async candidate(pkg) {
    await this.update();
    const r = await run(['apt-cache', ...this.options(), 'policy', pkg]);
    const m = /Candidate:\s*(\S+)/.exec(r.stdout);
    return m && m[1] !== '(none)' ? m[1] : null;
  }

  /** Direct dependencies of a package (first alternative of each). */
  async depends(pkg) {
    await this.update();
    const r = await run(['apt-cache', ...this.options(), 'depends', '--no-recommends', '--no-suggests', pkg]);
    return r.stdout
      .split('\n')
      .map((l) => /^\s+\|?Depends:\s*<?([^\s>]+)>?/.exec(l))
      .filter(Boolean)
      .map((m) => m[1]);
  }

  /** Downloads pkg (its candidate) into dir; returns the .deb's path. */
  async download(pkg, dir) {
    const version = await this.candidate(pkg);
    if (!version) throw new MatrixError('APT', `${this.suite}/${this.arch} has no package ${pkg}`);
    const file = path.join(dir, `${pkg}_${version.replace(/:/g, '%3a')}_${this.arch}.deb`);
    if (fs.existsSync(file)) return file;
    fs.mkdirSync(dir, { recursive: true });
    log.info(`apt-get download ${pkg}=${version} (${this.suite}, ${this.arch})`);
    await run(['apt-get', ...this.options(), 'download', `${pkg}=${version}`], { cwd: dir });
    const got = fs.readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(`_${this.arch}.deb`) && f.includes(version.replace(/^\d+:/, '')));
    if (!got) throw new MatrixError('APT', `apt-get download ${pkg} left no .deb in ${dir}`);
    return path.join(dir, got);
  }
}

module.exports = { AptSuite, KEYRING };
