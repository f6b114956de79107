/*
 * arch.h - the ISA contract, in both directions.
 *
 * Part 1 (the code below): every function an architecture port provides,
 * one line of contract each.  kernel/ includes only this header for
 * anything ISA-specific; there is no #ifdef __x86_64__ outside arch/.  The
 * port's static inline bodies come from arch/<isa>/include/arch_inline.h
 * and its goroutine-context layout from arch/<isa>/include/arch_ctx.h
 * (the runtime's side, rt/rt_ctx.h), both found by the include path.
 *
 * Part 2 (this comment): the kernel services a port may call, and from
 * which context.  A port calls nothing else of kernel/; if it needs more,
 * the contract grows here first.
 *
 *   panic(fmt, ...)            kernel/panic.h   any; never returns: stops the
 *                                               other CPUs, prints, exits 70
 *   panic_oom(what, bytes)     kernel/panic.h   any; out of memory, exits 71
 *   pmem_alloc(order)          kernel/mem/pmem.h  boot or thread context
 *                              (page tables); may return 0 (no memory)
 *   spin_lock/spin_unlock      kernel/cpu/spinlock.h  any; interrupts off
 *                              while held (the page-table lock)
 *   kernel_interrupt(v, tf, c) kernel/cpu/irq.h  from the trap path, for every
 *                              external interrupt, interrupts off; c = cycle
 *                              counter read on entry (ledger charge)
 *   kernel_page_fault(a, acc, tf, c)  kernel/cpu/irq.h  from the trap
 *                              path, for a page fault before it is called
 *                              fatal; returns 1 when resolved (retry the
 *                              instruction)
 *   kernel_tracking_fault(c)   kernel/cpu/irq.h  from the trap path, after
 *                              the port resolved a fault itself to keep
 *                              accessed/dirty state (ledger: kern.fault,
 *                              cause gc)
 *   kernel_nmi(tf)             kernel/cpu/irq.h  from the NMI path; returns 1
 *                              for an NMI to drop, 0 for a fatal one, or
 *                              never (a stop request)
 *   kprintf/ksnprintf          kernel/lib/kprintf.h  any (crash reports)
 *   the machine description    kernel/machine.h  a port registers its boards
 *                              with MACHINE(); their ops may call
 *                              acpi_boot_init/acpi_boot_get
 *                              (kernel/acpi/boot.h, boot), kernel_acpi_phys
 *                              (kernel/kernel.h, boot) and BOOTOPT_SET
 *                              (kernel/bootopt.h) for their own options
 *
 * Context notes: "any" = callable from any context including exception
 * handlers with interrupts off; "boot" = only during single-threaded boot.
 */
#ifndef TALLY_ARCH_H
#define TALLY_ARCH_H

#include <stdint.h>
#include <stddef.h>

struct arch_clock_ref;
struct trap_frame;

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
/* any: the stacks the port keeps in the kernel image's data and bss (the
 * boot stack, the boot CPU's exception and interrupt stacks) as [lo, hi)
 * ranges, at most max; returns how many.  The collector's data roots
 * leave them out: they hold stale interrupt frames (a goroutine's
 * registers at its last interrupt on the boot CPU), never live roots. */
size_t arch_image_stacks(uintptr_t *lo, uintptr_t *hi, size_t max);
/* any: set / get this CPU's kernel per-CPU pointer (a few instructions). */
void arch_cpu_set_local(void *p);
static inline void *arch_cpu_local(void);
/* any: this CPU's number (arch_percpu.index) in one instruction (the
 * runtime's allocator fast path reads it through plat_m_id). */
static inline unsigned arch_cpu_index(void);
/* any: human-readable CPU model ("Intel(R) ... " / "QEMU Virtual CPU"). */
const char *arch_cpu_model(void);
/* any: read the cycle counter (TSC on x86_64). */
static inline uint64_t arch_cycles(void);
/* any: the ledger pair's switches (kernel/ledger.h: ledger_pair_leave,
 * ledger_pair_enter) on the 64-bit word at offset `off` of this CPU's
 * local area (arch_cpu_local()): read the cycle counter t, then add
 * (leave) or subtract (enter) 2 t + 1 with one instruction, the commit.
 * The read and the commit are a restartable sequence: an interrupt that
 * lands after the read and before the commit is sent back to the read by
 * arch_restart_fixup, so the time committed is never before an interrupt
 * that saw the word unchanged.  enter returns the 2 t + 1 it subtracted.
 * No lock prefix: the word is this CPU's own. */
static inline void arch_ledger_pair_leave(unsigned long off);
static inline uint64_t arch_ledger_pair_enter(unsigned long off);
/* any: 2 t + 1 for the cycle counter t (what arch_ledger_pair_enter
 * returns, without a ledger). */
static inline uint64_t arch_cycles_2x1(void);
/* interrupt entry, before the handler reads state a restartable sequence
 * commits (the ledger's push): if tf was interrupted inside one (after
 * its clock read, before its commit), move tf's program counter back to
 * the read and return 1; else 0.  Two compares per sequence in the image. */
int arch_restart_fixup(struct trap_frame *tf);
/* kernel, interrupts off (tests of the restart): arrange that the next
 * load or store by this CPU to the 8 bytes at addr (8-aligned) is
 * preceded, once, by a wake IPI (ARCH_IRQ_IPI_WAKE) taken right before
 * that instruction, with interrupts then left enabled; 0.  -1 when the
 * port has no such means (x86_64: its tests place an interrupt with the
 * one-instruction shadow of sti instead; aarch64 has no shadow, so it
 * uses a hardware watchpoint). */
int arch_irq_before_access(const void *addr);
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
/* any: leave the machine with status: the emulator's exit device if the
 * port knows one, else halt with a message.  The kernel's exit policy
 * (reset, power-off through the machine: kernel/power.c) is above this;
 * this is the floor, for exits before the machine is chosen and for a
 * fault inside a crash report. */
_Noreturn void arch_exit(int status);
/* any: true when the hardware supports no-execute page protection. */
int arch_has_nx(void);
/* any: a loop of exactly n iterations of 2 instructions each (plus a
 * constant few), for detecting an instruction-counting emulator
 * (kernel/bench.c: under QEMU -icount one instruction is one cycle). */
static inline void arch_counted_loop(unsigned n);

/* ---- Interrupt numbers ---- */
/* The port's arch_inline.h defines, as integer constants:
 *   ARCH_IRQ_COUNT     how many interrupt numbers there are (0..COUNT-1);
 *   ARCH_IRQ_FIRST     the first a handler may take (below: exceptions);
 *   ARCH_IRQ_TIMER     the per-core timer's;
 *   ARCH_IRQ_IPI_WAKE  the wake-up IPI's (arch_send_ipi);
 *   ARCH_IRQ_IPI_CALL  the function-call IPI's.
 * And, as string constants, ARCH_GOARCH: the ISA's name as Go's GOARCH
 * spells it ("amd64", "arm64"), for benchmark headers; ARCH_NAME as the
 * toolchains and tally_sysinfo spell it ("x86_64", "aarch64"). */
/* any: 1 when no device may be given interrupt number v (an exception,
 * or one of the numbers above). */
static inline int arch_irq_reserved(unsigned v);
/* any: what to do with an interrupt no handler was registered for: 1
 * drop it without an EOI (spurious), 2 drop it with an EOI (the
 * controller's own error interrupt), 0 it is unexpected (a panic). */
static inline int arch_irq_unhandled(unsigned v);

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
/* any, interrupts off: 1 when interrupt v reached this CPU's controller
 * and was not yet ended (x86: its bit in the local APIC's IRR or ISR;
 * GIC: pending or active, in the distributor for a shared interrupt, in
 * this CPU's redistributor or banked registers for a private one), else
 * 0.  irq_free_vector asks every CPU before it lets a vector go. */
int arch_irq_in_flight(unsigned v);
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

/* ---- Device interrupts (the board's routing is kernel/machine.h's) ---- */
struct pci_cfg_ops;
struct acpi_info;
/* any: the interrupt vectors a device may be given: [*first, *last].
 * The kernel's own numbers (ARCH_IRQ_TIMER, ...) lie outside it. */
void arch_irq_vector_range(unsigned *first, unsigned *last);
/* thread context, interrupts enabled, one caller at a time (device set-up):
 * the message (address, data) that makes a device's MSI/MSI-X write
 * raise vector on the CPU with hardware id hwid, edge-triggered, fixed
 * delivery.  devid is the writer's PCI requester id (bus << 8 | device << 3
 * | function), the name an interrupt translation service (the GICv3 ITS)
 * knows the device by; a port that maps messages per device records the
 * mapping here, and composing vector again for another device or CPU
 * moves it (the vector then belongs to the last caller).  0, or -1 if
 * that CPU cannot be named in a message or the port has no message
 * target. */
int arch_msi_compose(uint32_t devid, uint32_t hwid, unsigned vector, uint64_t *addr,
                     uint32_t *data);

/* ---- Page tables ---- */
#define ARCH_PAGE_SIZE 4096ull
/* ARCH_STACK_ARENA_BASE (arch_inline.h): where the goroutine stacks' arena
 * (64 TiB, kernel/mem/gstack.c) starts: a virtual range arch_map_page can
 * map, above the regions' bump range (VM_REGION_BASE, kernel/mem/vm.h). */
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

/* ---- Accessed and dirty bits (what a dirty-bit GC needs) ----
 * The MMU sets a page's accessed bit on any access and its dirty bit on a
 * write, in the page-table entry, when it loads the translation into its
 * TLB (and the dirty bit on the first write through a TLB entry that had
 * it clear).  So after clearing a bit, a CPU whose TLB still holds the
 * old translation writes without setting it again: clear, then flush
 * every CPU's TLB for the range (tlb_batch_flush, kernel/mem/tlb.h), and
 * only then rely on the bits to record later writes. */
enum { VM_AD_ACCESSED = 1, VM_AD_DIRTY = 2 };
/* any (no lock, no allocation, never faults; runs alongside map/unmap and
 * the MMU: a bit the MMU sets concurrently is reported now or stays set,
 * never lost): for the npages 4 KiB pages from va (page-aligned, one
 * canonical half), bit i of out[] ((npages + 63) / 64 words, every bit
 * written; out may be NULL) is set when page i is mapped and has one of
 * the `which` bits; with clear, those bits are cleared.  Unmapped pages
 * report 0 and cost nothing (missing tables skip their whole span).  A
 * large page (the direct map's 2 MiB pages; 1 GiB ones) reports its bit
 * for each of its 4 KiB pages in the range, and is cleared only when the
 * range covers all of it (a partly covered one stays set: over-reported,
 * never lost).  Does not flush any TLB.  Returns the pages reported, or
 * -1 for a misaligned or non-canonical range (or before arch_vm_init). */
long arch_vm_ad(uintptr_t va, size_t npages, unsigned which, int clear, uint64_t *out);
/* any: the VM_AD_* bits every page of a new arch_map_page mapping with
 * protection prot reports until they are cleared: 0 where the MMU sets
 * them on first use (x86_64), ACCESSED (and DIRTY when VM_W) where the
 * port maps pages pre-set so that a first touch takes no fault (aarch64,
 * whose ARMv8.0 CPUs would otherwise fault on it).  Over-reporting is the
 * safe direction: a caller that tracks writes clears the bits and flushes
 * the TLBs before it relies on them, as the collector does at mark start. */
unsigned arch_vm_ad_fresh(unsigned prot);
/* any (the same rules; which is VM_AD_DIRTY, clear is 1): a harvest for a
 * caller that harvests one range in rounds, each 2 MiB of it at most once
 * a pass.  A round is a pass of mode NEXT (FIRST for a cycle's first
 * round), a flush of every CPU's TLB, then a pass of mode AGAIN over the
 * same range.  FIRST reads every unit; NEXT may skip a 2 MiB unit (x86: a
 * page table) no CPU loaded a translation into since the last round's
 * NEXT or FIRST pass, and reports every page written before it that the
 * last round did not report; AGAIN reads the units that pass read again
 * (what was written through translations older than the flush), leaves
 * the bits set (the next round clears them) and adds the pages to out
 * without clearing it (a port whose NEXT reads every unit anyway may
 * report nothing there).  va is 2 MiB-aligned and npages a
 * multiple of 512 (else -1); *units (may be NULL) gets the 2 MiB units
 * whose pages were read. */
enum { ARCH_AD_ROUND_NEXT = 0, ARCH_AD_ROUND_FIRST = 1, ARCH_AD_ROUND_AGAIN = 2 };
long arch_vm_ad_round(uintptr_t va, size_t npages, int mode, uint64_t *out, size_t *units);

/* ---- Traps ---- */
/* A saved register frame; layout is the port's (see arch/<isa>/trap.h). */
struct trap_frame;
/* What a port tells the kernel about a page fault, decoded from its fault
 * syndrome (x86: the #PF error code), passed to kernel_page_fault()
 * (kernel/cpu/irq.h).  No bit set: a read of a not-present page in kernel
 * mode. */
enum {
	VM_ACCESS_PRESENT = 1,   /* the page was mapped: a protection violation */
	VM_ACCESS_WRITE = 2,     /* the access was a write */
	VM_ACCESS_USER = 4,      /* from user mode (Tally runs all in kernel mode) */
	VM_ACCESS_EXEC = 16,     /* an instruction fetch */
};
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
 * CPU exception (then arch_try_fault_addr() gives the faulting address).
 * ARCH_TRAP_DATA_FAULT (arch_inline.h) is the vector of a data access to
 * an unmapped or protected page (x86_64: #PF, 14; aarch64: the exception
 * class of a data abort, 0x25), so such a fault gives it + 1. */
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

#include <arch_inline.h>  /* arch/<isa>/include/, chosen by the include path */

#endif
