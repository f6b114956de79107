/*
 * console.c - the console multiplexer (see console.h).
 *
 * Data structures: the current ops (before console_init: the machine's
 * early console, kernel/machine.h; nothing before the machine is chosen,
 * when output is dropped), and one lock
 * whose owner is a CPU (index + 1, 0 when free).
 * Invariants: bytes of one piece (below) reach the device together: the
 * lock is held, with interrupts off, for the whole piece.  A write is cut
 * into pieces of at most PIECE bytes, after a newline where there is one,
 * so a long write does not hold interrupts off for milliseconds (a UART
 * under QEMU takes ~1.7 us a byte) and lines up to PIECE bytes stay whole.
 * Locking: the lock is taken by owner CAS and spun for with interrupts off
 * (the holder only drives the UART: it always finishes).  It is not taken
 * again by the CPU that holds it (an exception or NMI report while that
 * CPU prints: waiting would deadlock), nor by a CPU that stopped the
 * others (smp_alone, the exit path: a stopped CPU may hold it forever;
 * what it printed last may then be cut mid-line, which is why a crash
 * report starts with a newline).
 * Ledger: the device loop (put) is charged to kern.driver, pushed and
 * popped inside the interrupt-off window, on top of whatever class the
 * caller is in (kern.syscall for write(), kern.boot for the kernel's own
 * messages); the wait for the lock stays with the caller's class.
 * Context: any, including exception and NMI handlers.
 */
#include "arch/arch.h"
#include "kernel/console.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/smp.h"
#include "kernel/machine.h"

#define PIECE 256

static const struct console_ops *cur;
static volatile unsigned owner;  /* CPU index + 1 holding the console, 0: free */
static volatile char last = '\n';  /* the last byte written (under the lock) */

void console_init(const struct console_ops *ops) { cur = ops; }

/* The console in use: the chosen one, else the machine's early one. */
static const struct console_ops *ops(void)
{
	if (cur)
		return cur;
	return machine && machine->early_console ? machine->early_console() : NULL;
}

const char *console_name(void)
{
	const struct console_ops *o = ops();
	return o ? o->name : "none";
}

static void put(const char *s, size_t n)
{
	const struct console_ops *o = ops();
	if (!o)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			o->putc(o->ctx, '\r');
		o->putc(o->ctx, s[i]);
	}
	if (n)
		last = s[n - 1];
}

int console_at_line_start(void) { return last == '\n'; }

void console_write(const char *s, size_t n)
{
	while (n) {
		size_t k = n;
		if (k > PIECE) {
			k = PIECE;
			for (size_t i = PIECE; i > 0; i--)
				if (s[i - 1] == '\n') {
					k = i;
					break;
				}
		}
		unsigned long f = arch_irq_save();
		unsigned me = cpu_index() + 1, free = 0;
		int take = owner != me && !smp_alone();
		if (take)
			while (!__atomic_compare_exchange_n(&owner, &free, me, 0, __ATOMIC_ACQUIRE,
			                                    __ATOMIC_RELAXED)) {
				free = 0;
				arch_pause();
			}
		struct ledger_cpu *l = &this_cpu()->ledger;
		int on = ledger_on;
		if (on)
			ledger_push(l, arch_cycles(), LC_KERN_DRIVER, 0);
		put(s, k);
		if (on)
			ledger_pop(l, arch_cycles());
		if (take)
			__atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
		arch_irq_restore(f);
		s += k;
		n -= k;
	}
}

int console_getc(void)
{
	const struct console_ops *o = ops();
	return o && o->getc ? o->getc(o->ctx) : -1;
}
