'use strict';
/**
 * The kernels of the matrix. A Debian kernel is named by the suite whose linux-image-ARCH
 * metapackage picks it, so the list follows Debian's updates by itself; `host` is the machine's
 * own kernel. Pick with `--kernels ID,ID`, or name any other Debian kernel as SUITE:PACKAGE
 * (e.g. bookworm:linux-image-6.12.107+deb12-amd64).
 */
const { MatrixUsageError } = require('./errors');

const KERNELS = [
  { id: 'host', kind: 'host', desc: "this machine's kernel" },
  { id: '5.10', kind: 'qemu', arch: 'amd64', suite: 'bullseye', package: 'linux-image-amd64', desc: 'Debian 11 (bullseye)' },
  { id: '6.1', kind: 'qemu', arch: 'amd64', suite: 'bookworm', package: 'linux-image-amd64', desc: 'Debian 12 (bookworm)' },
  { id: '6.12', kind: 'qemu', arch: 'amd64', suite: 'trixie', package: 'linux-image-amd64', desc: 'Debian 13 (trixie)' },
  {
    id: 'arm64-6.12',
    kind: 'qemu',
    arch: 'arm64',
    suite: 'trixie',
    package: 'linux-image-arm64',
    desc: 'Debian 13 (trixie) on aarch64: --exec only (the project is built for x86_64)',
    optional: true,
  },
];

const DEFAULT_IDS = KERNELS.filter((k) => !k.optional).map((k) => k.id);

/** Kernel specs for `--kernels` values (ids, or SUITE:PACKAGE[:ARCH]). */
function selectKernels(ids) {
  return (ids && ids.length ? ids : DEFAULT_IDS).map((id) => {
    const known = KERNELS.find((k) => k.id === id);
    if (known) return known;
    const m = /^([a-z]+(?:-[a-z]+)?):(linux-image-[\w.+~-]+?)(?::(amd64|arm64))?$/.exec(id);
    if (m) {
      const arch = m[3] || (m[2].endsWith('arm64') ? 'arm64' : 'amd64');
      return { id, kind: 'qemu', arch, suite: m[1], package: m[2], desc: `${m[2]} from ${m[1]}` };
    }
    throw new MatrixUsageError(`unknown kernel ${id}: one of ${KERNELS.map((k) => k.id).join(', ')}, or SUITE:PACKAGE`);
  });
}

module.exports = { KERNELS, DEFAULT_IDS, selectKernels };
