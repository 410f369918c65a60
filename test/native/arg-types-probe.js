// The child of arg-types.test.ts: calls each native export with each wrong-typed value in every
// position and reports what did not end in TypeError/RangeError (wrong type) or SysError.
'use strict';
const fs = require('node:fs');
const { native } = require('../../dist/src/native');

// Values of no native function's parameter type, or of the wrong range.
const wrong = [null, 'x', {}, [], 1.5, NaN, Infinity, true, Buffer.alloc(1), () => 0, new BigUint64Array(1)];
// Never called: setErrorClass (it would replace the error class), execvp (it would replace this
// process), takeSignals and breakpointTarget (no arguments to get wrong).
const skip = new Set(['setErrorClass', 'execvp', 'takeSignals', 'breakpointTarget']);
const unexpected = [];
let calls = 0;
for (const name of Object.keys(native).filter((n) => !skip.has(n))) {
  for (let pos = 0; pos < 6; pos++) {
    for (const w of wrong) {
      // A valid-looking but harmless value elsewhere: -1 is no fd, no pid (refused), no address.
      const args = Array.from({ length: 6 }, (_, i) => (i === pos ? w : -1));
      fs.writeSync(2, `${name} arg ${pos + 1} ${typeof w}\n`);
      calls++;
      try {
        native[name](...args);
      } catch (e) {
        if (e instanceof TypeError || e instanceof RangeError || (e && e.constructor && e.constructor.name === 'SysError')) continue;
        unexpected.push(`${name}(arg ${pos + 1} = ${String(w)}): ${e && e.constructor ? e.constructor.name : typeof e}: ${e && e.message}`);
      }
    }
  }
}
process.stdout.write(JSON.stringify({ calls, unexpected }));
