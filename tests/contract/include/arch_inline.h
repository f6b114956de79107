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

/* The interrupt numbers arch/arch.h asks a port for.  The count sizes
 * tables, so it is a constant (not x86's 256: a GIC has 1020 and more);
 * the others are values the compiler cannot know, so nothing may depend
 * on x86's. */
/* arch_try's vector for a data access fault: a value the compiler cannot know */
extern const unsigned contract_trap_data_fault;
#define ARCH_TRAP_DATA_FAULT contract_trap_data_fault

/* the goroutine stacks' arena: an address the compiler cannot know */
extern const unsigned long long contract_stack_arena_base;
#define ARCH_STACK_ARENA_BASE contract_stack_arena_base

#define ARCH_IRQ_COUNT    1024
extern const unsigned contract_irq_number[4];
#define ARCH_IRQ_FIRST    contract_irq_number[0]
#define ARCH_IRQ_TIMER    contract_irq_number[1]
#define ARCH_IRQ_IPI_WAKE contract_irq_number[2]
#define ARCH_IRQ_IPI_CALL contract_irq_number[3]
/* a string the compiler cannot know either */
extern const char contract_goarch[];
#define ARCH_GOARCH contract_goarch
extern const char contract_archname[];
#define ARCH_NAME contract_archname
