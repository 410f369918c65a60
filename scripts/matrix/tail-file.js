'use strict';
/** Follows a growing file (the guest's out.log over 9p), handing over whole new lines. */
const fs = require('node:fs');

function follower(file, onLine) {
  let offset = 0;
  let partial = '';
  const poll = (final = false) => {
    let fd;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += buf.subarray(0, n).toString();
      }
    } finally {
      fs.closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) onLine(l);
    if (final && partial) {
      onLine(partial);
      partial = '';
    }
  };
  return { poll: () => poll(false), flush: () => poll(true) };
}

module.exports = { follower };
