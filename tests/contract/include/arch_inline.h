/*
 * arch_inline.h (contract check) - deliberately empty.
 *
 * The contract check (tools/contract_check.py, a layer of `make test`)
 * compiles kernel/ and rt/ for aarch64 with this folder first on the
 * include path instead of a port's arch/<isa>/include/.  arch/arch.h
 * declares every static inline function a port provides; here none gets
 * a body, so kernel/ and rt/ compile against the declarations alone, and
 * anything x86-shaped in them (register names, inline x86 assembly, a
 * field of x86's context or trap frame) fails to compile for aarch64.
 */
