'use strict';
/** Errors of the kernel matrix: a stable code, the context in fields, the cause kept. */

class MatrixError extends Error {
  /**
   * @param {string} code  stable name: 'EXEC', 'APT', 'KERNEL', 'BOOT', 'USAGE', ...
   * @param {string} message
   * @param {object} [fields]  context: cmd, status, path, kernel, ... (and `cause`)
   */
  constructor(code, message, fields = {}) {
    super(message, fields.cause ? { cause: fields.cause } : undefined);
    this.name = 'MatrixError';
    this.code = code;
    for (const [k, v] of Object.entries(fields)) if (k !== 'cause') this[k] = v;
  }
}

class MatrixUsageError extends MatrixError {
  constructor(message) {
    super('USAGE', message);
    this.name = 'MatrixUsageError';
  }
}

module.exports = { MatrixError, MatrixUsageError };
