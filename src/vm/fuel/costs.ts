// The cost table: what each kind of work costs in fuel, and how fuel relates to the `gas` limit a
// database declares. It is part of the protocol (two runtimes with different tables disagree about
// which ops run out of gas), so its identity is part of RUNTIME_ID; change any figure here and bump
// METERING_ID. The figures were set by measurement (BENCH=gas): with them, a gas unit buys roughly
// the same wall time whatever a contract spends it on.

/** Fuel one iteration of any loop in QuickJS's native code costs (the interpreter's dispatch included). */
export const LOOP_FUEL = 1
/** Fuel each call of a native function costs: built-ins that call helpers per element loop little. */
export const CALL_FUEL = 2
/** memory.copy and memory.fill cost a fixed amount (the engine calls out for them)... */
export const BULK_FUEL = 8
/** ...and one more fuel per this many bytes (a power of two). */
export const BULK_BYTES_PER_FUEL = 64
/** One unit of the `gas` limit is this much fuel. */
export const FUEL_PER_GAS = 25_000
/**
 * Work done on the host side of the sandbox, which no loop in QuickJS counts: each host call
 * (state read, write, emit...) and each promise job the host runs, and each KiB of text a host
 * call hands to the contract.
 */
export const HOST_CALL_FUEL = 2_000
export const HOST_KIB_FUEL = 2_000
/** The most gas one op may be given: its fuel must fit a signed 32-bit counter. */
export const MAX_GAS = Math.floor((2 ** 31 - 1) / FUEL_PER_GAS) - 1

export const METERING_ID = `fuel/1 loop=${LOOP_FUEL} call=${CALL_FUEL} bulk=${BULK_FUEL}+1/${BULK_BYTES_PER_FUEL}B gas=${FUEL_PER_GAS} host=${HOST_CALL_FUEL}+${HOST_KIB_FUEL}/KiB`
