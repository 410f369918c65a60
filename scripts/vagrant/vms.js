'use strict';
/**
 * The VMs of the repository's Vagrantfile (its KERNELS list; a unit test keeps the two in step),
 * each with the Debian suite its box is built from. Pick with `-k`: the VM's name, its kernel
 * (5.10, 6.1, 6.12, as in `npm run matrix -k`) or its suite.
 */
const { VagrantUsageError } = require('./errors');

const VMS = [
  { name: 'debian11-5.10', kernel: '5.10', suite: 'bullseye', box: 'bullseye64' },
  { name: 'debian12-6.1', kernel: '6.1', suite: 'bookworm', box: 'bookworm64' },
  { name: 'debian13-6.12', kernel: '6.12', suite: 'trixie', box: 'trixie64' },
];

/** The VMs named by `ids` (all of them when none), in the Vagrantfile's order, each once. */
function selectVms(ids) {
  if (!ids || ids.length === 0) return [...VMS];
  const picked = new Set();
  for (const id of ids) {
    const vm = VMS.find((v) => id === v.name || id === v.kernel || id === v.suite);
    if (!vm) throw new VagrantUsageError(`unknown VM ${id}: one of ${VMS.map((v) => `${v.name} (${v.kernel}, ${v.suite})`).join(', ')}`);
    picked.add(vm);
  }
  return VMS.filter((v) => picked.has(v));
}

module.exports = { VMS, selectVms };
