'use strict';
/**
 * Errors of `npm run vagrant`: a stable code, the context in fields, the cause kept. The matrix's
 * own errors (MatrixError, from the helpers reused from scripts/matrix/) are reported the same way.
 */

class VagrantError extends Error {
  /**
   * @param {string} code  stable name: 'HOST', 'BOX', 'VM', 'USAGE', ...
   * @param {string} message
   * @param {object} [fields]  context: suite, vm, path, ... (and `cause`)
   */
  constructor(code, message, fields = {}) {
    super(message, fields.cause ? { cause: fields.cause } : undefined);
    this.name = 'VagrantError';
    this.code = code;
    for (const [k, v] of Object.entries(fields)) if (k !== 'cause') this[k] = v;
  }
}

class VagrantUsageError extends VagrantError {
  constructor(message) {
    super('USAGE', message);
    this.name = 'VagrantUsageError';
  }
}

module.exports = { VagrantError, VagrantUsageError };
