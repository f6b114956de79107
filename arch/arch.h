/*
 * arch.h - the ISA contract.  Every function an architecture port provides,
 * one line of contract each.  kernel/ and rt/ include only this header for
 * anything ISA-specific; there is no #ifdef __x86_64__ outside arch/.
 *
 * Context notes: "any" = callable from any context including exception
 * handlers with interrupts off; "boot" = only during single-threaded boot.
 */
#ifndef TALLY_ARCH_H
#define TALLY_ARCH_H

#include <stdint.h>
#include <stddef.h>

struct arch_clock_ref;

/* The first member of the kernel's per-CPU structure; the port reaches it
 * through arch_cpu_local() and from assembly at fixed offsets. */
struct arch_percpu {
	void *self;            /* offset 0: this structure's own address */
	uintptr_t try_rsp;     /* offset 8: arch_try recovery stack, 0 if none */
	uint64_t try_addr;     /* offset 16: faulting address seen by arch_try */
	uint32_t index;        /* offset 24: CPU number, 0 = boot CPU */
	uint32_t hwid;         /* offset 28: interrupt-controller id */
};

/* ---- CPU ---- */
/* boot: enable FPU/SSE (before any libc call), NX, and record features. */
void arch_cpu_early_init(void);
/* boot/AP start: this CPU's descriptor tables (GDT/TSS with IST stacks,
 * IDT).  ist_top: tops of 4 exception stacks (#DF, NMI, #PF, #MC), or NULL
 * for the boot CPU's static ones. */
void arch_cpu_tables_init(unsigned cpu, const uintptr_t *ist_top);
/* any: set / get this CPU's kernel per-CPU pointer (a few instructions). */
void arch_cpu_set_local(void *p);
static inline void *arch_cpu_local(void);
/* any: human-readable CPU model ("Intel(R) ... " / "QEMU Virtual CPU"). */
const char *arch_cpu_model(void);
/* any: read the cycle counter (TSC on x86_64). */
static inline uint64_t arch_cycles(void);
/* any: cycle-counter frequency in Hz, 0 if not yet known. */
uint64_t arch_cycles_hz(void);
/* boot: determine the cycle-counter frequency (CPUID leaves, else
 * calibration against the ACPI PM timer, the HPET or the PIT). */
void arch_clock_init(const struct arch_clock_ref *ref);
/* any: how the frequency was found, and whether the counter is invariant. */
const char *arch_cycles_source(void);
int arch_cycles_invariant(void);
/* any: 1 if running under a hypervisor that says so (CPUID). */
int arch_hypervisor(void);
/* any: stop this CPU forever with interrupts off. */
_Noreturn void arch_halt_forever(void);
/* any: leave the machine with status (QEMU debug-exit, else reset/halt). */
_Noreturn void arch_exit(int status);
/* any: true when the hardware supports no-execute page protection. */
int arch_has_nx(void);

/* ---- Local interrupt controller (x86: local APIC) ---- */
/* boot CPU: probe (x2APIC if the CPU has it, else xAPIC at mmio_base),
 * mask legacy PICs, enable the controller.  0, or -1 with no controller. */
int arch_intc_init_boot(uint64_t mmio_base);
/* AP: enable this CPU's controller in the mode the boot CPU chose. */
void arch_intc_init_ap(void);
const char *arch_intc_name(void);          /* "x2apic" / "xapic" */
uint32_t arch_cpu_hwid(void);              /* this CPU's APIC id */
void arch_send_ipi(uint32_t hwid, unsigned vector);
/* any: send a non-maskable interrupt to the CPU with hardware id hwid; it
 * arrives with interrupts off too (not during another NMI's handler) and
 * enters the kernel through kernel_nmi() (kernel/cpu/irq.h). */
void arch_send_nmi(uint32_t hwid);
void arch_eoi(void);
/* boot/AP: start the CPU with hardware id hwid at entry(arg) on stack_top;
 * returns 0 once it signals *started != 0, -1 after timeout_ns. */
int arch_start_cpu(uint32_t hwid, void (*entry)(void *), void *arg,
                   uintptr_t stack_top, volatile int *started, uint64_t timeout_ns);

/* ---- Per-core timer ---- */
/* boot CPU: choose TSC-deadline or calibrated one-shot mode; AP: same. */
void arch_timer_init(unsigned vector);
/* any (irqs off): interrupt at or after cycle count `deadline`; 0 disarms. */
void arch_timer_arm(uint64_t deadline);
const char *arch_timer_name(void);         /* "tsc-deadline" / "oneshot" */
/* any: wait for an interrupt (irqs enabled while halted, then disabled). */
void arch_wait_for_interrupt(void);

/* ---- Reference clocks for calibration ---- */
struct arch_clock_ref {
	uint16_t pm_timer_port;  /* ACPI PM timer I/O port, 0 if none */
	int pm_timer_32bit;
	uint64_t hpet_addr;      /* HPET MMIO base, 0 if none */
};

/* ---- Port I/O (legacy devices only; a no-op-free ISA may map it) ---- */
void arch_outb(uint16_t port, uint8_t v);
uint8_t arch_inb(uint16_t port);
void arch_outl(uint16_t port, uint32_t v);

/* ---- Devices and interrupt routing (the PC machine's part) ---- */
struct pci_cfg_ops;
struct acpi_info;
/* boot: the machine's config-space mechanism for when ACPI lists no ECAM
 * window (x86: ports 0xCF8/0xCFC, buses 0-255, 256 bytes per function),
 * or NULL when it has none or it does not answer. */
const struct pci_cfg_ops *arch_pci_legacy_ops(void);
/* any: the interrupt vectors a device may be given: [*first, *last].
 * The kernel's fixed vectors (kernel/cpu/irq.h) lie outside it. */
void arch_irq_vector_range(unsigned *first, unsigned *last);
/* any: the message (address, data) that makes a device's MSI/MSI-X write
 * raise vector on the CPU with hardware id hwid, edge-triggered, fixed
 * delivery.  0, or -1 if that CPU cannot be named in a message. */
int arch_msi_compose(uint32_t hwid, unsigned vector, uint64_t *addr, uint32_t *data);
/* boot: find the machine's legacy-interrupt routers (x86: the IOAPICs of
 * the MADT, every input masked).  Returns how many. */
unsigned arch_irq_routers_init(const struct acpi_info *acpi);
/* boot: route legacy (ISA) interrupt irq to vector on CPU hwid, applying
 * the MADT's source override (GSI, polarity, trigger), and unmask it.
 * 0, or -1 with no router serving that line. */
int arch_irq_route_legacy(unsigned irq, unsigned vector, uint32_t hwid);
/* any: mask legacy interrupt irq again. */
void arch_irq_mask_legacy(unsigned irq);

/* ---- Page tables ---- */
#define ARCH_PAGE_SIZE 4096ull
enum {
	VM_R = 1, VM_W = 2, VM_X = 4,
	VM_UC = 8,     /* uncached device memory: strong UC (x86: PAT index 3,
	                  no speculative reads, no write combining) */
};
/* boot: build the kernel's own tables (direct map of RAM and device space,
 * W^X kernel image, page 0 unmapped) and switch to them. */
void arch_vm_init(uint64_t direct_map_top,
                  int (*is_ram)(uint64_t base, uint64_t len));
/* any: end of the direct map (virtual == physical below it). */
uint64_t arch_direct_map_top(void);
/* any (no alloc inside if tables exist): map one 4 KiB page; 0 or -1 (OOM). */
int arch_map_page(uintptr_t va, uint64_t pa, unsigned prot);
/* any: unmap one 4 KiB page and flush it locally; returns the old pa or 0. */
uint64_t arch_unmap_page(uintptr_t va);
/* any: drop this CPU's TLB entries for [va, va+len) (everything when
 * len is large). */
void arch_tlb_flush(uintptr_t va, size_t len);
/* any: physical address behind va and its protection, or -1 if unmapped. */
int arch_translate(uintptr_t va, uint64_t *pa, unsigned *prot);

/* ---- Traps ---- */
/* A saved register frame; layout is the port's (see arch/<isa>/trap.h). */
struct trap_frame;
/* any: print the registers of a frame to the console. */
void arch_dump_frame(const struct trap_frame *tf);
/* any: program counter / frame pointer of a frame, for backtraces. */
uintptr_t arch_frame_pc(const struct trap_frame *tf);
uintptr_t arch_frame_fp(const struct trap_frame *tf);
/* any: current frame pointer. */
static inline uintptr_t arch_current_fp(void);
/* any: one step up a frame-pointer chain: read the record at *fp, store the
 * return address in *ret and the caller's frame pointer in *fp (0 at the
 * outermost frame).  Returns -1 without touching memory when the record is
 * misaligned or unmapped, so it never faults. */
int arch_next_frame(uintptr_t *fp, uintptr_t *ret);
/* any: run fn(arg); 0 if it returned, vector+1 if it raised a recoverable
 * CPU exception (then arch_try_fault_addr() gives the faulting address). */
int arch_try(void (*fn)(void *), void *arg);
uint64_t arch_try_fault_addr(void);
/* any: name of exception/interrupt vector v. */
const char *arch_trap_name(unsigned v);
/* any: call fn(arg) on the stack whose top is stack_top (16-byte aligned);
 * the frame chain starts fresh there.  Returns fn's result. */
int arch_call_on_stack(uintptr_t stack_top, int (*fn)(void *), void *arg);
/* interrupt handler: make the interrupted context, when the interrupt
 * returns, call the kernel's preempt_entry_c() with its full register
 * state saved on its own stack (below the ABI red zone), then continue
 * where it was.  Only for interrupted thread context on a stack with room. */
void arch_inject_preempt(struct trap_frame *tf);
/* any: interrupts on/off. */
static inline void arch_irq_disable(void);
/* any: disable interrupts, returning the previous state for restore. */
static inline unsigned long arch_irq_save(void);
static inline void arch_irq_restore(unsigned long flags);
static inline void arch_irq_enable(void);
static inline void arch_pause(void);

#include "arch/x86_64/arch_inline.h"

#endif
