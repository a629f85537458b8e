// The reference server's own event, beside onlive's (which come from
// ../src/contract.js): its CPU and memory, for `onlive bench fanout`.
export const REF_STATS = "stats";
