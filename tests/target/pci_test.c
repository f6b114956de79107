/*
 * pci_test.c - on-target tests of PCI enumeration, device mappings, the
 * vector allocator and MSI-X delivered end to end.
 *
 * The host tests (tests/host/test_pci.c) check the parse against config
 * spaces recorded from QEMU; here the questions are the machine's: does
 * the chosen mechanism read what the scan saw, are BARs mapped uncached
 * at their own physical address, and does a device's own MSI-X message
 * arrive on the vector allocated for it.  The MSI-X test needs an e1000e
 * (QEMU -device e1000e); without one it notes "SKIP" and the system cases
 * that add the device reject that note, so a missing model fails there.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "drivers/e1000e.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"
#include "kernel/pci/pci.h"

KTEST(pci_scan_matches_config)
{
	struct pci_scan *s = pci_devices();
	KASSERT(s->mechanism != NULL);
	KASSERT(s->ndev > 0);
	KASSERT_EQ(s->nwarn, 0);
	struct pci_dev *d0 = &s->dev[0];
	KASSERT(d0->bus == 0 && d0->dev == 0 && d0->fn == 0);
	KASSERT(d0->class == 0x06 && d0->subclass == 0x00);   /* host bridge */
	for (uint32_t i = 0; i < s->ndev; i++) {
		struct pci_dev *d = &s->dev[i];
		uint32_t id = pci_read32(d, 0);
		KASSERT_EQ(id, d->vendor | (uint32_t)d->device << 16);
		for (unsigned j = 0; j < 6; j++) {
			struct pci_bar *b = &d->bar[j];
			if (b->size && b->kind != PCI_BAR_IO) {
				/* the BAR register still holds what the scan restored */
				uint32_t lo = pci_read32(d, 0x10 + 4 * j) & ~0xfu;
				KASSERT_EQ(lo, (uint32_t)b->base);
			}
			if (!b->va)
				continue;
			uint64_t pa;
			unsigned prot;
			KASSERT(arch_translate((uintptr_t)b->va, &pa, &prot) == 0);
			KASSERT_EQ(pa, b->base);
			KASSERT(prot & VM_UC);
			KASSERT(prot & VM_W);
			KASSERT(!(prot & VM_X));
		}
	}
	ktest_note("%u functions via %s", s->ndev, s->mechanism);
}

KTEST(pci_irq_vector_alloc)
{
	static int got[ARCH_IRQ_COUNT];
	unsigned first, last, n = 0;
	unsigned before = irq_vectors_free();
	arch_irq_vector_range(&first, &last);
	for (;;) {
		int v = irq_alloc_vector(NULL, LC_KERN_DRIVER);
		if (v < 0)
			break;
		KASSERT(n < ARCH_IRQ_COUNT);
		KASSERT((unsigned)v >= first && (unsigned)v <= last);
		KASSERT(v != ARCH_IRQ_TIMER && v != ARCH_IRQ_IPI_WAKE && v != ARCH_IRQ_IPI_CALL &&
		        v != ARCH_IRQ_SPURIOUS && !arch_irq_reserved((unsigned)v) &&
		        !arch_irq_unhandled((unsigned)v));
		for (unsigned k = 0; k < n; k++)
			KASSERT(got[k] != v);
		got[n++] = v;
	}
	KASSERT_EQ(n, before);
	KASSERT_EQ(irq_vectors_free(), 0);
	for (unsigned k = 0; k < n; k++)
		irq_free_vector((unsigned)got[k]);
	KASSERT_EQ(irq_vectors_free(), before);
}

/*
 * Counting interrupts against causes.  A test raises one cause at a time
 * and checks that exactly one interrupt found it.  The handler itself
 * reads and clears the device's causes (ICR), so every interrupt is
 * classified by what was pending when it ran: `found` counts those that
 * found a cause, `empty` those that found none.
 *
 * Empty interrupts are the model's, and are allowed (at most one per
 * cause): QEMU 7.2's e1000e throttles each MSI-X vector (EITR) and MSI
 * (ITR) with a timer of at least 128 us that the guest cannot turn off.
 * Once a notification found a vector's timer still running (QEMU's main
 * loop ran the timer late, which a busy host does), the model latches
 * "interrupt pending" for that vector and never clears it, and every later
 * expiry of the timer, 128 us after each interrupt, sends the vector's
 * message again with nothing pending.  Seen with `-trace
 * e1000e_irq_postponed_by_xitr -trace e1000e_irq_msix_notify_postponed_vec`
 * in a failing boot of the earlier test that counted every interrupt.  A
 * real 82574 sends nothing without a cause, and a driver must take an
 * empty interrupt quietly anyway (the ack at its start may have taken the
 * cause an interrupt still in flight was sent for).
 */
struct cause_count {
	struct e1000e *dev;
	uint32_t mask;                  /* the causes the test routes */
	volatile uint64_t found, empty;
	volatile uint32_t last;         /* the causes the last `found` one saw */
	volatile unsigned vector;
};

static void cause_count_hit(struct cause_count *c, unsigned vector)
{
	uint32_t icr = e1000e_ack(c->dev, c->mask);
	c->vector = vector;
	if (icr & c->mask) {
		c->last = icr & c->mask;
		c->found++;
	} else {
		c->empty++;
	}
}

/* Raise `cause`, wait for the interrupt that finds it, then 5 ms more to
 * see that no second one does. */
static int wait_count(volatile uint64_t *hits, uint64_t want, uint64_t ns);

static void cause_round(struct cause_count *c, uint32_t cause, unsigned i, int line)
{
	uint64_t before = c->found;
	e1000e_raise(c->dev, cause);
	if (wait_count(&c->found, before + 1, 2000000000ull) < 0)
		ktest_fail(__FILE__, line, "interrupt arrived",
		           " (round %u: none found cause 0x%x after 2 s; %lu found none)", i, cause,
		           (uint64_t)c->empty);
	if (c->last != cause)
		ktest_fail(__FILE__, line, "the interrupt found the cause raised",
		           " (round %u: raised 0x%x, found 0x%x)", i, cause, c->last);
	if (wait_count(&c->found, before + 2, 5000000ull) == 0)
		ktest_fail(__FILE__, line, "one interrupt a cause",
		           " (round %u: a second interrupt found cause 0x%x)", i, c->last);
}

static struct cause_count msix_cc;

static void msix_handler(unsigned vector, struct trap_frame *tf)
{
	(void)tf;
	cause_count_hit(&msix_cc, vector);
}

/* Spin (interrupts on) until *hits reaches want or ns pass; 0, or -1. */
static int wait_count(volatile uint64_t *hits, uint64_t want, uint64_t ns)
{
	uint64_t hz = arch_cycles_hz(), t0 = arch_cycles();
	uint64_t limit = hz ? ns / 1000 * (hz / 1000000) : 4000000000ull;
	while (*hits < want) {
		if (arch_cycles() - t0 > limit)
			return -1;
		arch_pause();
	}
	return 0;
}

KTEST(pci_msix_e1000e)
{
	struct e1000e *e = e1000e_get(0);
	if (!e) {
		ktest_note("SKIP: no e1000e (8086:10d3) on this machine");
		return;
	}
	struct pci_dev *d = e->pci;
	const unsigned entry = 2, rounds = 6;
	KASSERT(d->has_msix);
	msix_cc = (struct cause_count){ .dev = e, .mask = E1000E_CAUSE_RXQ0 | E1000E_CAUSE_TXQ0 };
	int v = pci_msix_enable(d, entry, msix_handler, LC_KERN_DRIVER);
	KASSERT(v >= 0);
	uint64_t count0 = irq_count((unsigned)v);
	KASSERT(e1000e_route(e, E1000E_CAUSE_RXQ0 | E1000E_CAUSE_TXQ0, entry) == 0);
	/* no cause set yet: nothing may arrive */
	KASSERT(wait_count(&msix_cc.empty, 1, 20000000ull) < 0);
	KASSERT_EQ(msix_cc.found, 0);
	/* alternate the two causes: both IVAR fields name the entry */
	for (unsigned i = 0; i < rounds; i++)
		cause_round(&msix_cc, (i & 1) ? E1000E_CAUSE_TXQ0 : E1000E_CAUSE_RXQ0, i, __LINE__);
	KASSERT_EQ(msix_cc.found, rounds);
	KASSERT(msix_cc.empty <= rounds);
	KASSERT_EQ(msix_cc.vector, (unsigned)v);
	/* the kernel dispatched each interrupt once, to this handler */
	KASSERT_EQ(irq_count((unsigned)v) - count0, msix_cc.found + msix_cc.empty);
	/* the entries not routed stay masked */
	volatile uint32_t *t = (volatile uint32_t *)((volatile uint8_t *)d->bar[d->msix.table_bir].va +
	                                             d->msix.table_off);
	for (unsigned k = 0; k < d->msix.size; k++)
		if (k != entry)
			KASSERT(t[4 * k + 3] & 1);
	ktest_note("e1000e %02x:%02x.%x MSI-X entry %u -> vector 0x%x: %u of %u causes, "
	           "%u empty", d->bus, d->dev, d->fn, entry, v, (unsigned)msix_cc.found, rounds,
	           (unsigned)msix_cc.empty);
	e1000e_quiet(e);
	pci_msix_disable(d, entry, (unsigned)v);
}

/* pci_msix_enable_cpu: the same entry routed to the last CPU; the
 * handler records the CPU it runs on, which must be the one named (the
 * truth is this_cpu() in the handler, not the message the kernel wrote). */
static volatile int msix_cpu_seen = -1;
static volatile uint64_t msix_cpu_hits, msix_cpu_wrong;

static void msix_cpu_handler(unsigned vector, struct trap_frame *tf)
{
	(void)vector, (void)tf;
	int me = (int)(this_cpu() - cpus);
	if (msix_cpu_seen >= 0 && me != msix_cpu_seen)
		msix_cpu_wrong++;
	msix_cpu_seen = me;
	msix_cpu_hits++;
}

KTEST(pci_msix_e1000e_cpu)
{
	struct e1000e *e = e1000e_get(0);
	if (!e || cpu_count() < 2) {
		ktest_note("SKIP: needs an e1000e (8086:10d3) and 2 CPUs (%u)", cpu_count());
		return;
	}
	struct pci_dev *d = e->pci;
	const unsigned entry = 3, rounds = 4, target = cpu_count() - 1;
	int v = pci_msix_enable_cpu(d, entry, msix_cpu_handler, LC_KERN_DRIVER, target);
	KASSERT(v >= 0);
	msix_cpu_hits = msix_cpu_wrong = 0;
	msix_cpu_seen = -1;
	KASSERT(e1000e_route(e, E1000E_CAUSE_RXQ0 | E1000E_CAUSE_TXQ0, entry) == 0);
	for (unsigned i = 0; i < rounds; i++) {
		uint32_t cause = (i & 1) ? E1000E_CAUSE_TXQ0 : E1000E_CAUSE_RXQ0;
		e1000e_raise(e, cause);
		if (wait_count(&msix_cpu_hits, i + 1, 2000000000ull) < 0)
			ktest_fail(__FILE__, __LINE__, "interrupt arrived",
			           " (round %u: %lu interrupts after 2 s)", i, (uint64_t)msix_cpu_hits);
		KASSERT((e1000e_ack(e, cause) & cause) == cause);
	}
	KASSERT_EQ(msix_cpu_seen, (int)target);
	KASSERT_EQ(msix_cpu_wrong, 0);
	/* a CPU that is not online is refused */
	KASSERT(pci_msix_enable_cpu(d, entry, msix_cpu_handler, LC_KERN_DRIVER, cpu_count()) < 0);
	/* the count is not checked here (pci_msix_e1000e checks one interrupt
	 * per cause): a cause left pending by an earlier test may add one */
	ktest_note("e1000e %02x:%02x.%x MSI-X entry %u -> CPU %u: %u interrupts for %u causes, "
	           "all there", d->bus, d->dev, d->fn, entry, target, (unsigned)msix_cpu_hits,
	           rounds);
	e1000e_quiet(e);
	pci_msix_disable(d, entry, (unsigned)v);
}

/* The e1000e's INTx pin through the legacy router (on a PC: the IOAPIC
 * input the MADT's override names, level-triggered).  The handler makes
 * the device drop the line; a second interrupt for the same cause would
 * mean the line was not dropped or the EOI not done. */
static struct e1000e *intx_dev;
static volatile uint64_t intx_hits;
static volatile unsigned intx_vector_seen;

static void intx_handler(unsigned vector, struct trap_frame *tf)
{
	(void)tf;
	intx_vector_seen = vector;
	intx_hits++;
	e1000e_ack(intx_dev, 0xffffffffu);
}


/* The e1000e for the INTx and MSI tests: the last one, so that a machine
 * with two leaves the first in MSI-X mode throughout.  QEMU before 8.0
 * arms an MSI-X throttling timer (EITR, at least 128 us) after each
 * MSI-X message and asserts, when it fires, that MSI-X is still enabled:
 * turning a function's MSI-X off right after its last interrupt (as the
 * INTx test must) aborted the emulator (pci_q35_bridge, a loaded host).
 * The system cases give these tests a second e1000e; with one, they share
 * it, as before. */
static struct e1000e *legacy_dev(void)
{
	struct e1000e *e = e1000e_get(0);
	for (unsigned i = 1; e1000e_get(i); i++)
		e = e1000e_get(i);
	return e;
}

KTEST(pci_intx_e1000e)
{
	struct e1000e *e = legacy_dev();
	if (!e) {
		ktest_note("SKIP: no e1000e (8086:10d3) on this machine");
		return;
	}
	const unsigned rounds = 4;
	struct pci_dev *d = e->pci;
	intx_dev = e;
	intx_hits = 0;
	int v = pci_intx_enable(d, intx_handler, LC_KERN_DRIVER);
	KASSERT(v >= 0);
	uint64_t count0 = irq_count((unsigned)v);
	KASSERT(e1000e_route(e, E1000E_CAUSE_RXQ0, 0) == 0);
	KASSERT(wait_count(&intx_hits, 1, 20000000ull) < 0);
	for (unsigned i = 0; i < rounds; i++) {
		e1000e_raise(e, E1000E_CAUSE_RXQ0);
		if (wait_count(&intx_hits, i + 1, 2000000000ull) < 0)
			ktest_fail(__FILE__, __LINE__, "interrupt arrived",
			           " (round %u: %lu interrupts after 2 s)", i, (uint64_t)intx_hits);
		KASSERT(wait_count(&intx_hits, i + 2, 5000000ull) < 0);
		KASSERT_EQ(intx_hits, i + 1);
	}
	KASSERT_EQ(intx_vector_seen, (unsigned)v);
	KASSERT_EQ(irq_count((unsigned)v) - count0, rounds);
	ktest_note("e1000e %02x:%02x.%x INTx line %u -> vector 0x%x: %u of %u interrupts",
	           d->bus, d->dev, d->fn, d->irq_line, v, (unsigned)intx_hits, rounds);
	e1000e_quiet(e);
	pci_intx_disable(d, (unsigned)v);
}

/* The e1000e's MSI capability (82574: 64-bit address, no per-vector
 * mask), one vector, with MSI-X turned off: the device's own message
 * write, from a cause set in its ICS register, must reach the vector
 * pci_msi_enable allocated, once per cause set. */
static struct cause_count msi_cc;

static void msi_handler(unsigned vector, struct trap_frame *tf)
{
	(void)tf;
	cause_count_hit(&msi_cc, vector);
}

KTEST(pci_msi_e1000e)
{
	struct e1000e *e = legacy_dev();
	if (!e) {
		ktest_note("SKIP: no e1000e (8086:10d3) on this machine");
		return;
	}
	const unsigned rounds = 4;
	struct pci_dev *d = e->pci;
	KASSERT(d->has_msi);
	msi_cc = (struct cause_count){ .dev = e, .mask = E1000E_CAUSE_RXQ0 };
	int v = pci_msi_enable(d, msi_handler, LC_KERN_DRIVER);
	KASSERT(v >= 0);
	/* what the device will use: MSI on, MSI-X off, one vector */
	uint16_t mc = pci_read16(d, d->msi.cap + 2);
	KASSERT(mc & 1);
	KASSERT_EQ((mc >> 4) & 7, 0);
	if (d->has_msix)
		KASSERT(!(pci_read16(d, d->msix.cap + 2) & 0x8000));
	uint64_t count0 = irq_count((unsigned)v);
	KASSERT(e1000e_route(e, E1000E_CAUSE_RXQ0, 0) == 0);
	KASSERT(wait_count(&msi_cc.empty, 1, 20000000ull) < 0);
	KASSERT_EQ(msi_cc.found, 0);
	for (unsigned i = 0; i < rounds; i++)
		cause_round(&msi_cc, E1000E_CAUSE_RXQ0, i, __LINE__);
	KASSERT_EQ(msi_cc.found, rounds);
	KASSERT(msi_cc.empty <= rounds);
	KASSERT_EQ(msi_cc.vector, (unsigned)v);
	KASSERT_EQ(irq_count((unsigned)v) - count0, msi_cc.found + msi_cc.empty);
	ktest_note("e1000e %02x:%02x.%x MSI (%s address) -> vector 0x%x: %u of %u causes, %u empty",
	           d->bus, d->dev, d->fn, d->msi.is64 ? "64-bit" : "32-bit", v,
	           (unsigned)msi_cc.found, rounds, (unsigned)msi_cc.empty);
	e1000e_quiet(e);
	pci_msi_disable(d, (unsigned)v);
	KASSERT(!(pci_read16(d, d->msi.cap + 2) & 1));
}
