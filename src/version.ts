/**
 * Two versions: amber's own (package.json), and the version of CRIU's interface amber speaks
 * (options, images, RPC). Tools that drive CRIU check the latter before they use a feature
 * (runc and podman refuse a CRIU older than 3.x), so that is what `--version` and the RPC's
 * VERSION report as CRIU's numbers, with amber's own named beside it (GitID, name).
 */
export const AMBER_VERSION: string = require('../../package.json').version;

export const CRIU_INTERFACE = { major: 4, minor: 2, sublevel: 0 } as const;

/** What `amber --version` prints, in CRIU's two lines. */
export function versionText(): string {
  return `Version: ${CRIU_INTERFACE.major}.${CRIU_INTERFACE.minor}\nGitID: amber-${AMBER_VERSION}`;
}
