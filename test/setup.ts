/**
 * Runs before every test file, in the file's own context (the module graph is shared by the
 * files of a worker: vitest.config.ts sets isolate: false): whatever the helpers made for this
 * file is removed when the file ends.
 */
import { afterAll } from 'vitest';
import { cleanupProjects } from './helpers/project.js';

afterAll(() => cleanupProjects());
