/**
 * Runs before every test file, in the file's own context (the module graph is shared by the
 * files of a worker: vitest.config.ts sets isolate: false): whatever the helpers made for this
 * file is removed when the file ends. The library code run in process loads the build's
 * standalone schema validators and precompiled templates, as the shipped package does (test/helpers/precompiled.ts).
 */
import { afterAll } from 'vitest';
import { usePrecompiledBuildOutput } from './helpers/precompiled.js';
import { cleanupProjects } from './helpers/project.js';

usePrecompiledBuildOutput();
afterAll(() => cleanupProjects());
