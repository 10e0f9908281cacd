/** The pure version-selection engine (contract section 3). No I/O. */
export {
  checkSelect,
  choose,
  createdOf,
  CREATED_ANNOTATION,
  isValidTag,
  needsMetadata,
  prefilter,
  selectFromVersions,
  type ChooseContext,
  type PrefilterResult,
  type PrefilterStats,
  type SelectionFailureCode,
  type SelectionOutcome,
  type SelectProblem,
  type TraceEntry,
} from './engine.js';
export {
  applyRuntimeInputs,
  isRuntimeInput,
  parseInputFlags,
  parseRuntimeInput,
  RUNTIME_INPUT_FIELDS,
  unreadInputs,
  type InputFlagError,
  type InputReader,
  type RuntimeInputExpr,
  type RuntimeInputField,
  type RuntimeInputResult,
} from './inputs.js';
export { compareDecimal, compareNatural, parseDecimal, parseTimestamp, type Decimal } from './keys.js';
export { matchingPlatforms, normalizeArch, parsePlatform, platformMatches, type Platform } from './platform.js';
export { ANY_RANGE, matchRange, parseRange, rangeSatisfiable, type Bound, type Comparator, type PrereleaseMode, type Range, type RangeGroup, type RangeMatch, type RangeParse } from './range.js';
export { expandTemplate, parseTemplate, regexGroups, validateExtract, validateRegex, type RegexMatch, type RegexResult, type TemplatePart, type UserRegex } from './regex.js';
export { compareBytes, comparePrerelease, compareVersions, parseVersion, type ParseVersionOptions, type Version } from './version.js';
