'use strict';
/**
 * A Debian kernel booted under qemu: prepare() fetches the kernel and builds its initramfs,
 * exec() boots it once to run one command (guest-init.sh runs IO/cmd.sh and powers off).
 */
const fs = require('node:fs');
const path = require('node:path');
const { fetchKernel } = require('./kernel-package');
const { buildInitrd } = require('./initrd');
const { boot } = require('./qemu');
const { prepareIoDir, readStatus, tailOf, outFollower } = require('./io-dir');

class QemuTarget {
  /**
   * @param {object} spec  an entry of kernels.js
   * @param {object} ctx   { cacheDir, project, apt(suite, arch), rootfs(arch), accel(target) }
   */
  constructor(spec, ctx) {
    this.spec = spec;
    this.ctx = ctx;
    this.kind = 'qemu';
    this.arch = spec.arch;
  }

  async prepare() {
    const apt = this.ctx.apt(this.spec.suite, this.spec.arch);
    this.kernel = await fetchKernel(apt, this.spec, this.ctx.cacheDir);
    this.initrd = await buildInitrd(this.kernel, await this.ctx.rootfs(this.spec.arch), this.ctx.cacheDir);
    this.release = this.kernel.release;
  }

  /** The image qemu boots: the unpacked vmlinux (x86: faster than the bzImage), arm64's Image. */
  image() {
    return fs.existsSync(this.kernel.vmlinux) ? this.kernel.vmlinux : this.kernel.vmlinuz;
  }

  header(accel) {
    return `${this.release} (qemu ${accel})`;
  }

  /**
   * Runs `script` in a fresh boot. Resolves { status, timedOut, ms, error }: status is the
   * command's exit status, null when the guest never wrote it (error then says why).
   */
  async exec(script, ioDir, { timeoutMs, onLine, accel } = {}) {
    prepareIoDir(ioDir, script);
    const out = outFollower(ioDir, onLine);
    const r = await boot(
      {
        arch: this.arch,
        accel: accel || 'tcg',
        kernel: this.image(),
        initrd: this.initrd,
        project: this.ctx.project,
        io: ioDir,
        smp: this.ctx.smp,
        memMb: this.ctx.memMb,
      },
      { timeoutMs, onTick: out.poll },
    );
    out.flush();
    const status = readStatus(ioDir);
    let error = null;
    if (status === null) {
      const why = r.timedOut ? `timed out after ${Math.round(r.ms / 1000)} s` : `qemu exited ${r.code ?? r.signal}`;
      const detail = [r.stderr.trim(), tailOf(path.join(ioDir, 'console.log'), 8)].filter(Boolean).join('\n');
      error = `the guest did not finish (${why})${detail ? `:\n${detail}` : ''}`;
    }
    return { status, timedOut: r.timedOut, ms: r.ms, error };
  }
}

module.exports = { QemuTarget };
