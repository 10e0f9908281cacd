export const ENVS: string[];
export const VERSIONS: number;
export function svcName(i: number): string;
export function serviceYaml(i: number, opts?: { replicasBump?: number }): string;
export function generate(dir: string, n: number): void;
