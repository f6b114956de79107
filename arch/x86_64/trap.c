/*
 * trap.c - x86_64 descriptor tables and exception dispatch.
 *
 * Purpose: build the GDT (kernel code/data and a 64-bit TSS), the TSS's
 * interrupt stacks, and the IDT; route every vector to trap_dispatch().
 * An NMI goes to kernel_nmi() first (the kernel stops CPUs with it; see
 * kernel/cpu/smp.c); a page fault to kernel_page_fault() with CR2 and its
 * error code decoded (the kernel never sees vector numbers or error-code
 * bits).  Other CPU exceptions, unresolved page faults and NMIs the
 * kernel did not send, are fatal unless arch_try() armed a recovery point
 * (used by on-target tests that check the MMU): the crash report is
 * produced by kernel/panic.c from a description built here (name,
 * mnemonic, error code decoded, faulting address).
 *
 * Data structures: one struct cpu_tables per CPU (GDT, TSS, IST stacks);
 * IST stacks are page-aligned with an unmapped guard page below each, so an
 * overflow of an exception stack faults instead of corrupting memory
 * (arch_vm_init unmaps the guards listed by x86_guard_pages()).
 *   IST1 #DF, IST2 NMI, IST3 #PF, IST4 #MC, IST5 every hardware
 *   interrupt (vectors 32-255).
 * Interrupts never run on the interrupted stack: a goroutine stack then
 * holds no interrupt frame, so the tick can safely build a call frame on
 * it (arch_inject_preempt) and stacks can later grow on demand.  Handlers
 * run with interrupts off, so the IRQ stack is never entered twice.
 * #PF has its own stack so a fault caused by a full or unmapped stack
 * (the app's guard page, later demand-grown goroutine stacks) is handled
 * on good memory rather than escalating to a double fault.
 *
 * Restartable sequences: arch_restart_fixup sends an interrupted frame
 * back to the clock read of a sequence it interrupted before the commit
 * (the ledger pair's switches, arch_inline.h; the table is section
 * arch_restart, two addresses a sequence).  kernel_interrupt calls it
 * before its ledger push.
 *
 * Invariants: handlers[v] is NULL or a function for vectors >= 32;
 * this CPU's arch_percpu.try_rsp != 0 exactly while arch_try() runs its
 * function.  The GS base points at the CPU's struct arch_percpu from the
 * first instruction of boot_main (boot CPU) or ap_entry (others).
 *
 * Context: trap_dispatch runs with interrupts off (interrupt gates).
 */
#include <stddef.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "kernel/panic.h"
#include "kernel/lib/kprintf.h"
#include "kernel/cpu/irq.h"

#define MAX_CPUS 64
#define IST_SIZE (16 * 1024)

struct ist_stack {
	uint8_t guard[4096];
	uint8_t stack[IST_SIZE];
} __attribute__((aligned(4096)));

struct tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap;
} __attribute__((packed));

struct cpu_tables {
	uint64_t gdt[5];  /* null, code, data, tss (2 slots) */
	struct tss tss;
};

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, rsvd;
} __attribute__((packed));

static struct cpu_tables tables[MAX_CPUS];
static struct ist_stack ist_stacks[5];  /* boot CPU; APs get theirs from smp.c */
static struct idt_gate idt[256];
extern const uint64_t trap_vector_table[256];
extern char arch_try_landing[];

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void idt_set(unsigned v, uint64_t addr, unsigned ist)
{
	idt[v].off0 = addr & 0xffff;
	idt[v].sel = SEL_KCODE;
	idt[v].ist = ist;
	idt[v].type = 0x8e;  /* present, DPL 0, 64-bit interrupt gate */
	idt[v].off1 = (addr >> 16) & 0xffff;
	idt[v].off2 = addr >> 32;
	idt[v].rsvd = 0;
}

static void restart_sort(void);

void arch_cpu_tables_init(unsigned cpu, const uintptr_t *ist_top)
{
	if (cpu >= MAX_CPUS)
		panic("trap: cpu %u beyond MAX_CPUS", cpu);
	if (cpu == 0)
		restart_sort();
	struct cpu_tables *t = &tables[cpu];
	t->gdt[0] = 0;
	t->gdt[1] = 0x00af9a000000ffffull;
	t->gdt[2] = 0x00cf92000000ffffull;
	uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;
	t->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	            (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
	            (((base >> 24) & 0xff) << 56);
	t->gdt[4] = base >> 32;
	memset(&t->tss, 0, sizeof(t->tss));
	t->tss.iomap = sizeof(t->tss);
	for (int i = 0; i < 5; i++)
		t->tss.ist[i] = ist_top ? ist_top[i] : (uint64_t)(ist_stacks[i].stack + IST_SIZE);

	struct desc_ptr g = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };
	__asm__ volatile("lgdt %0" ::"m"(g));
	__asm__ volatile(
		"pushq %0\n"
		"leaq 1f(%%rip), %%rax\n"
		"pushq %%rax\n"
		"lretq\n"
		"1:\n"
		"movl %1, %%eax\n"
		"movl %%eax, %%ds\n"
		"movl %%eax, %%es\n"
		"movl %%eax, %%ss\n"
		::"i"(SEL_KCODE), "i"(SEL_KDATA) : "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS));

	if (cpu == 0) {
		for (unsigned v = 0; v < 256; v++)
			idt_set(v, trap_vector_table[v], v >= 32 ? IST_IRQ : 0);
		idt[8].ist = IST_DF;
		idt[2].ist = IST_NMI;
		idt[14].ist = IST_PF;
		idt[18].ist = IST_MC;
	}
	struct desc_ptr i = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(i));
}

void arch_cpu_set_local(void *p)
{
	/* %gs is 0 and stays 0: only the base matters */
	wrmsr(MSR_GS_BASE, (uint64_t)p);
}

extern char boot_stack[], boot_stack_top[];  /* entry.S */

size_t arch_image_stacks(uintptr_t *lo, uintptr_t *hi, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < 5 && n < max; i++, n++) {
		lo[n] = (uintptr_t)ist_stacks[i].stack;
		hi[n] = (uintptr_t)(ist_stacks[i].stack + IST_SIZE);
	}
	if (n < max) {
		lo[n] = (uintptr_t)boot_stack;
		hi[n++] = (uintptr_t)boot_stack_top;
	}
	return n;
}

/* Guard pages (one per IST stack) for arch_vm_init to leave unmapped. */
size_t x86_guard_pages(uintptr_t *out, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < 5 && n < max; i++)
		out[n++] = (uintptr_t)ist_stacks[i].guard;
	return n;
}

static const struct {
	const char *name, *mnemonic;
} exc[32] = {
	{ "divide error", "DE" }, { "debug", "DB" }, { "non-maskable interrupt", "NMI" },
	{ "breakpoint", "BP" }, { "overflow", "OF" }, { "bound range exceeded", "BR" },
	{ "invalid opcode", "UD" }, { "device not available", "NM" },
	{ "double fault", "DF" }, { "coprocessor segment overrun", "CSO" },
	{ "invalid TSS", "TS" }, { "segment not present", "NP" },
	{ "stack-segment fault", "SS" }, { "general protection fault", "GP" },
	{ "page fault", "PF" }, { "reserved", "15" }, { "x87 floating-point error", "MF" },
	{ "alignment check", "AC" }, { "machine check", "MC" },
	{ "SIMD floating-point error", "XM" }, { "virtualization exception", "VE" },
	{ "control protection error", "CP" }, { "reserved", "22" }, { "reserved", "23" },
	{ "reserved", "24" }, { "reserved", "25" }, { "reserved", "26" }, { "reserved", "27" },
	{ "hypervisor injection", "HV" }, { "VMM communication", "VC" },
	{ "security exception", "SX" }, { "reserved", "31" },
};

const char *arch_trap_name(unsigned v) { return v < 32 ? exc[v].name : "interrupt"; }

uint64_t arch_try_fault_addr(void)
{
	return ((struct arch_percpu *)arch_cpu_local())->try_addr;
}

static void fatal_exception(struct trap_frame *tf)
{
	unsigned v = (unsigned)tf->vector;
	char title[160], detail[256];
	uint64_t addr = 0;
	int has_addr = 0;

	detail[0] = 0;
	if (v == 14) {
		addr = read_cr2();
		has_addr = 1;
		uint64_t e = tf->error;
		ksnprintf(detail, sizeof(detail),
		          "fault address 0x%016lx: %s of a %s page in %s mode%s",
		          addr, (e & 16) ? "instruction fetch" : (e & 2) ? "write" : "read",
		          (e & 1) ? "protected" : "not-present",
		          (e & 4) ? "user" : "kernel", (e & 8) ? " (reserved bit set)" : "");
	} else if (v == 13 || v == 10 || v == 11 || v == 12) {
		ksnprintf(detail, sizeof(detail), "selector error code 0x%lx%s", tf->error,
		          tf->error ? "" : " (not selector-related)");
	} else if (v == 8) {
		ksnprintf(detail, sizeof(detail),
		          "a fault occurred while delivering another (often a kernel stack overflow)");
	}
	ksnprintf(title, sizeof(title), "%s (#%s)", exc[v < 32 ? v : 15].name,
	          exc[v < 32 ? v : 15].mnemonic);
	panic_trap(tf, title, detail, addr, has_addr);
}

/* The #PF error code as VM_ACCESS_* bits: P (bit 0), W/R (1), U/S (2) and
 * I/D (4) have the contract's values, so the decode is a mask (one
 * instruction on the stack-growth path). */
_Static_assert(VM_ACCESS_PRESENT == 1 && VM_ACCESS_WRITE == 2 && VM_ACCESS_USER == 4 &&
               VM_ACCESS_EXEC == 16, "#PF error code bits");
static unsigned pf_access(uint64_t e)
{
	return (unsigned)e & (VM_ACCESS_PRESENT | VM_ACCESS_WRITE | VM_ACCESS_USER | VM_ACCESS_EXEC);
}

void trap_dispatch(struct trap_frame *tf, uint64_t entry_cycles)
{
	unsigned v = (unsigned)tf->vector;
	if (v >= 32) {
		kernel_interrupt(v, tf, entry_cycles);
		return;
	}
	if (v == 2 && kernel_nmi(tf))
		return;
	if (v == 14 && kernel_page_fault(read_cr2(), pf_access(tf->error), tf, entry_cycles))
		return;
	struct arch_percpu *pc = arch_cpu_local();
	if (pc && pc->try_rsp && v != 2 && v != 8 && v != 18) {
		pc->try_addr = (v == 14) ? read_cr2() : 0;
		tf->rip = (uint64_t)arch_try_landing;
		tf->rsp = pc->try_rsp;
		pc->try_rsp = 0;
		tf->rax = v + 1;
		return;
	}
	fatal_exception(tf);
}

uintptr_t arch_frame_pc(const struct trap_frame *tf) { return tf->rip; }

/* {clock read, commit} of each restartable sequence (arch_inline.h), in
 * link order; restart_tab holds them sorted by clock read (restart_sort,
 * CPU 0's arch_cpu_tables_init, before any interrupt), so each interrupt
 * with the ledger on does a binary search, not a scan of the whole table
 * (18 sequences: the scan was about 100 instructions a timer interrupt). */
extern const uintptr_t __start_arch_restart[], __stop_arch_restart[];
#define RESTART_MAX 128
static uintptr_t restart_tab[RESTART_MAX][2];
static unsigned restart_n;

static void restart_sort(void)
{
	size_t n = (size_t)(__stop_arch_restart - __start_arch_restart) / 2;
	if (n > RESTART_MAX)
		panic("trap: %zu restartable sequences, room for %u", n, RESTART_MAX);
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = __start_arch_restart[2 * i], b = __start_arch_restart[2 * i + 1];
		size_t j = i;
		for (; j > 0 && restart_tab[j - 1][0] > a; j--) {
			restart_tab[j][0] = restart_tab[j - 1][0];
			restart_tab[j][1] = restart_tab[j - 1][1];
		}
		restart_tab[j][0] = a;
		restart_tab[j][1] = b;
	}
	restart_n = (unsigned)n;
}

int arch_restart_fixup(struct trap_frame *tf)
{
	/* the last sequence whose clock read is below the pc: the only one
	 * that can hold it (sequences do not overlap) */
	unsigned lo = 0, hi = restart_n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (restart_tab[mid][0] < tf->rip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || tf->rip > restart_tab[lo - 1][1])
		return 0;
	tf->rip = restart_tab[lo - 1][0];
	return 1;
}

/* No means here: x86's tests place an interrupt with sti's shadow. */
int arch_irq_before_access(const void *addr)
{
	(void)addr;
	return -1;
}

uintptr_t arch_frame_fp(const struct trap_frame *tf) { return tf->rbp; }

void arch_dump_frame(const struct trap_frame *tf)
{
	kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	kprintf("  r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
	kprintf("  r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
	kprintf("  rip=%016lx rflags=%08lx cs=%04lx ss=%04lx err=%lx\n", tf->rip, tf->rflags,
	        tf->cs, tf->ss, tf->error);
	kprintf("  cr2=%016lx cr3=%016lx\n", read_cr2(), read_cr3());
}

int arch_next_frame(uintptr_t *fp, uintptr_t *ret)
{
	uint64_t pa;
	unsigned prot;
	uintptr_t f = *fp;
	if (f == 0 || (f & 7))
		return -1;
	/* both words of the frame record must be readable */
	if (arch_translate(f, &pa, &prot) < 0 || arch_translate(f + 15, &pa, &prot) < 0)
		return -1;
	*fp = ((uintptr_t *)f)[0];
	*ret = ((uintptr_t *)f)[1];
	return 0;
}

void arch_inject_preempt(struct trap_frame *tf)
{
	extern char arch_preempt_stub[];
	uint64_t *sp = (uint64_t *)((tf->rsp - 128) & ~15ull);
	*--sp = tf->ss;
	*--sp = tf->rsp;
	*--sp = tf->rflags;
	*--sp = tf->cs;
	*--sp = tf->rip;
	tf->rsp = (uint64_t)sp;
	tf->rip = (uint64_t)arch_preempt_stub;
}
