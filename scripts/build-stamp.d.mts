export const STAMP_FORMAT: number;
export function stampFile(root: string): string;
export function walk(base: string, dir: string): string[];
export function digests(base: string, files: string[]): Record<string, string>;
export function inputs(root: string): { node: string; files: Record<string, string> } | null;
export function stampOf(before: { node: string; files: Record<string, string> }, outBase: string): { format: number; inputs: unknown; outputs: Record<string, string> };
export function current(root: string, outBase?: string): boolean;
