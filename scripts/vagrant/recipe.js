'use strict';
/**
 * What a local box is made of, as data: the Debian packages, the files written into the rootfs,
 * the commands run in it, the box's Vagrantfile and metadata. Pure, so that the recipe's key (a
 * hash of all of it plus the host's node) says exactly when a cached box is out of date.
 */
const crypto = require('node:crypto');

/** Raised when what a box is or how it is assembled changes in a way the data below does not show. */
const RECIPE_VERSION = 2;

/** Disk of the VM, in GiB: the rootfs (~1.5 GB), the project with node_modules, the suite's files. */
const DISK_GIB = 10;

/** Direct kernel boot: no bootloader in the image; eth0 as on the public boxes. */
const CMD_LINE = 'root=/dev/vda rw console=ttyS0 net.ifnames=0';

/** Under TCG a boot to sshd takes 1-3 minutes, more on a loaded machine. */
const BOOT_TIMEOUT_S = 1800;

const COMMON_PACKAGES = [
  'linux-image-amd64', 'initramfs-tools', 'systemd-sysv', 'udev', 'dbus', 'openssh-server', 'sudo',
  'rsync', 'ca-certificates', 'curl', 'gnupg', 'build-essential', 'python3', 'make', 'gcc',
  'kmod', 'iproute2', 'nftables', 'procps', 'psmisc', 'less',
  // what scripts/setup.sh would install otherwise (an apt-get in the guest is slow under TCG)
  'runc', 'busybox-static',
];

/**
 * Per suite: systemd-resolved is a package of its own from bookworm on; criu (whose crit
 * scripts/setup.sh wants) is not in bullseye at all.
 */
const SUITE_PACKAGES = {
  bullseye: [],
  bookworm: ['systemd-resolved', 'criu'],
  trixie: ['systemd-resolved', 'criu'],
};

const EXCLUDES = ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*'];

/** Timers that would run apt, man-db or fsck work in the background of a test run. */
const MASKED_UNITS = [
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'man-db.timer', 'e2scrub_all.timer', 'fstrim.timer',
  'logrotate.timer', 'dpkg-db-backup.timer',
];

function packagesFor(suite) {
  if (!SUITE_PACKAGES[suite]) throw new Error(`no box recipe for suite ${suite}`);
  return [...COMMON_PACKAGES, ...SUITE_PACKAGES[suite]];
}

/**
 * Files written into the rootfs: { path: { text, mode?, owner? } } (owner: a user name, for the
 * ssh key). publicKey: the `vagrant` user's authorized key. hostCas: { NAME.crt: PEM } of this
 * machine's /usr/local/share/ca-certificates: where TLS goes through a proxy with its own CA
 * (as here, for the npm registry), the guest needs to trust it as the host does.
 */
function guestFiles(publicKey, hostCas = {}) {
  const cas = {};
  for (const [name, text] of Object.entries(hostCas)) cas[`/usr/local/share/ca-certificates/${name}`] = { text };
  return {
    ...cas,
    '/etc/fstab': { text: '/dev/vda / ext4 errors=remount-ro 0 1\n' },
    '/etc/hostname': { text: 'amber\n' },
    '/etc/hosts': { text: '127.0.0.1 localhost\n127.0.1.1 amber\n::1 localhost ip6-localhost ip6-loopback\n' },
    // empty: systemd makes a new one on the first boot, so VMs of one box differ (DHCP client ids)
    '/etc/machine-id': { text: '' },
    '/etc/systemd/network/50-dhcp.network': { text: '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' },
    '/etc/sudoers.d/vagrant': { text: 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n', mode: 0o440 },
    '/home/vagrant/.ssh/authorized_keys': { text: publicKey.endsWith('\n') ? publicKey : `${publicKey}\n`, mode: 0o600, owner: 'vagrant' },
    '/etc/apt/apt.conf.d/90amber': { text: 'Acquire::Languages "none";\nAPT::Install-Recommends "false";\n' },
    // node-gyp's headers: the host node's own (in /usr/local/include/node), no download; the
    // system's CAs (with this machine's local ones), which npm does not read by itself
    '/usr/local/etc/npmrc': {
      text: 'nodedir=/usr/local\ncafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\nfund=false\naudit=false\n',
    },
  };
}

/** Commands run in the rootfs (chroot) before the files are written (the user owns some of them). */
function userCommands() {
  return [['useradd', '--create-home', '--shell', '/bin/bash', '--user-group', 'vagrant']];
}

/** Commands run in the rootfs (chroot) after the files are written, in this order. */
function guestCommands() {
  return [
    ['update-ca-certificates'],
    ['systemctl', 'enable', 'systemd-networkd', 'systemd-resolved', 'ssh'],
    ['systemctl', 'mask', ...MASKED_UNITS],
  ];
}

/** The Vagrantfile inside the box: how vagrant-libvirt boots it and logs in. */
function boxVagrantfile({ suite, key, kernel, initrd, privateKey }) {
  const q = (s) => JSON.stringify(s); // a Ruby double-quoted string for these plain paths
  return [
    `# amber's local ${suite} box, made by scripts/vagrant (recipe ${key}); see docs/matrix.md.`,
    'Vagrant.configure("2") do |config|',
    '  config.ssh.username = "vagrant"',
    `  config.ssh.private_key_path = ${q(privateKey)}`,
    '  config.ssh.insert_key = false',
    `  config.vm.boot_timeout = ${BOOT_TIMEOUT_S}`,
    '  config.vm.synced_folder ".", "/vagrant", type: "rsync"',
    '  config.vm.provider :libvirt do |lv|',
    `    lv.kernel = ${q(kernel)}`,
    `    lv.initrd = ${q(initrd)}`,
    `    lv.cmd_line = ${q(CMD_LINE)}`,
    '  end',
    'end',
    '',
  ].join('\n');
}

function metadata() {
  return { provider: 'libvirt', format: 'qcow2', virtual_size: DISK_GIB };
}

/** Everything that goes into the box of `suite`, as one object (hashed into its key). */
function recipe({ suite, mirrors, publicKey, hostCas, node, npm, paths }) {
  return {
    version: RECIPE_VERSION,
    suite,
    mirrors,
    packages: packagesFor(suite),
    excludes: EXCLUDES,
    files: guestFiles(publicKey, hostCas),
    users: userCommands(),
    commands: guestCommands(),
    node, // { path, size, mtimeMs }: a new node on the host is a new box
    npm, // { dir, version }
    diskGiB: DISK_GIB,
    vagrantfile: boxVagrantfile({ suite, key: '', ...paths }),
    metadata: metadata(),
  };
}

/** Stable JSON (keys sorted), so the key does not depend on the order properties were written in. */
function stableJson(v) {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function recipeKey(r) {
  return crypto.createHash('sha256').update(stableJson(r)).digest('hex').slice(0, 12);
}

module.exports = { recipe, recipeKey, stableJson, boxVagrantfile, metadata, packagesFor, guestFiles, guestCommands, userCommands, EXCLUDES, CMD_LINE, DISK_GIB };
