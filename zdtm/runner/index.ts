/** The runner as a library: what the CLI, the vitest projects and the self-check use. */
export { FeatureProbe } from './amber';
export { defaults, helpText, parseArgs, type RunOptions } from './cli/options';
export { CaseFailure, CaseSkip, MetadataError, RunnerError, RunnerUsageError, type LogRef } from './errors';
export { hasFlag, loadTests, type TestMeta } from './metadata';
export { defaultAmberBin, defaultStaticDir, quickListFile, repoRoot } from './paths';
export { becomeSubreaper } from './reaper';
export { runCase, type CaseConfig, type CaseResult } from './run-case';
export { caseId, crossFlavors, FLAVORS, readNameList, selectTests, type Flavor, type TestCase } from './select';
export { pickCases, runSuite, setupRun, type CaseSettings, type SuiteRun } from './suite';
export { closingLine, type Summary } from './report/summary';
