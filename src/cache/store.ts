/** The on-disk caches moved to src/build/store.ts (the build stage owns them); kept for importers. */
export * from '../build/store.js';
