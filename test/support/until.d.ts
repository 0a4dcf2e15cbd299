/** Resolves with the first truthy value `probe` returns; a probe that throws counts as "not yet". */
export declare function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms?: number, everyMs?: number): Promise<T>;
