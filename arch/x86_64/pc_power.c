/*
 * pc_power.c - reset and power-off of a PC, and QEMU's exit device.
 *
 * Purpose: the machine half of the kernel's exit policy (kernel/power.c),
 * reached through the PC's machine description (pc.c: exit_device, reset,
 * poweroff):
 * report the status to an emulator, reset, or power off, on whatever PC
 * Tally runs on.  The facts come from ACPI (the FADT's reset register and
 * PM1 control blocks, the DSDT's \_S5 sleep type: kernel/acpi/), handed
 * over once at boot by pc_power_init(); the PC conventions used when
 * ACPI has nothing to say live here and nowhere else.
 *
 * Reset, in order, each step given ~0.5 s to take effect before the next:
 *   1. the FADT reset register (RESET_REG_SUP): RESET_VALUE written to
 *      the Generic Address Structure, in system I/O or system memory
 *      space.  Other spaces (PCI configuration space, ...) are refused
 *      with a message: the register would have to be reached through a
 *      PCI config mechanism this file does not own.
 *   2. the Reset Control Register at I/O port 0xCF9 (Intel chipsets since
 *      the PIIX, and QEMU's PIIX3 and ICH9): 0x02 (system reset selected)
 *      then 0x06 (and start it).  QEMU's `pc` machine (an ACPI 1.0 FADT
 *      with no reset register) resets here.
 *   3. the 8042 keyboard controller: command 0xFE (pulse the CPU reset
 *      line) to port 0x64, once its input buffer is empty.
 *   4. a triple fault: an empty IDT and an exception, which every x86
 *      resets on.  Last, because QEMU and a debugger report it as a crash.
 * Power-off: SLP_TYPa << 10 written to PM1a_CNT, then with SLP_EN (bit
 * 13) set; the same with SLP_TYPb on PM1b_CNT when the FADT has one (the
 * order ACPI's sleeping sequence gives).  Other bits of the registers
 * (SCI_EN, ...) are kept.  A HW-reduced ACPI machine (QEMU's microvm) has
 * no PM1 blocks but a SLEEP_CONTROL_REG: SLP_TYPa << 2 | SLP_EN (bit 5)
 * in one 8-bit write.  Without any of these registers or a readable \_S5
 * it does nothing and says why; the kernel then halts.
 *
 * Data structures: one static copy of the facts (pw), written once at
 * boot, read at exit.
 *
 * Invariants: a register is written only if gas_usable() said it is an
 * I/O port below 64 KiB or memory below arch_direct_map_top(); SLP_TYP
 * values are <= 7 (acpi_s5.c refuses wider ones), so a write never spills
 * into SLP_EN or the bits above it.
 *
 * Locking: none; pw is written before the other CPUs start and only read
 * afterwards.
 *
 * Context: pc_power_init at boot (one CPU).  The rest: the exit path, one
 * CPU alone with interrupts off (the others stopped); they print through
 * kprintf, which takes no lock then.  No allocation.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/x86_64/pc.h"
#include "arch/x86_64/x86.h"
#include "kernel/acpi/acpi.h"
#include "kernel/lib/kprintf.h"

#define PORT_DEBUG_EXIT 0xf4    /* QEMU isa-debug-exit, iobase 0xf4 */
#define PORT_RCR        0xcf9   /* Reset Control Register */
#define RCR_SYS_RST     0x02    /* full (system) reset, not just the CPU */
#define RCR_RST_CPU     0x04    /* start the reset */
#define PORT_KBC_STATUS 0x64
#define PORT_KBC_CMD    0x64
#define KBC_IBF         0x02    /* input buffer full: not ready for a command */
#define KBC_PULSE_RESET 0xfe

#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN        (1u << 13)
#define SLPCTL_TYP_SHIFT  2     /* SLEEP_CONTROL_REG (HW-reduced ACPI) */
#define SLPCTL_EN         (1u << 5)

static struct {
	int acpi;                  /* pc_power_init saw ACPI tables */
	int has_reset;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	int has_pm1;
	struct acpi_gas pm1a, pm1b;
	int has_sleep_ctl;
	struct acpi_gas sleep_ctl;
	struct acpi_s5 s5;
} pw;

static void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void pc_power_init(const struct acpi_info *a, const struct acpi_s5 *s5)
{
	pw.acpi = a != NULL;
	if (a != NULL) {
		pw.has_reset = a->has_reset;
		pw.reset_reg = a->reset_reg;
		pw.reset_value = a->reset_value;
		pw.has_pm1 = a->has_pm1_cnt;
		pw.pm1a = a->pm1a_cnt;
		pw.pm1b = a->pm1b_cnt;
		pw.has_sleep_ctl = a->has_sleep_ctl;
		pw.sleep_ctl = a->sleep_ctl;
	}
	if (s5 != NULL)
		pw.s5 = *s5;
	else
		pw.s5.result = ACPI_S5_NO_DSDT;
}

void pc_exit_device(int status)
{
	/* Only under a hypervisor, where port 0xf4 is the emulator's: on a
	 * real board it may belong to some other device. */
	if (arch_hypervisor())
		arch_outl(PORT_DEBUG_EXIT, (uint32_t)status & 0x7f);
}

/* Give a reset or power-off about ms milliseconds to happen. */
static void settle(uint64_t ms)
{
	uint64_t hz = arch_cycles_hz();

	if (hz != 0) {
		uint64_t end = arch_cycles() + hz / 1000 * ms;

		while (arch_cycles() < end)
			arch_pause();
		return;
	}
	for (uint64_t i = 0; i < ms * 100000; i++)
		arch_pause();
}

/* Is a GAS one this file can write: I/O space below 64 KiB, or memory
 * inside the direct map?  If not, say why (what: its name). */
static int gas_usable(const struct acpi_gas *g, const char *what)
{
	if (g->space == ACPI_GAS_IO && g->addr <= 0xffff)
		return 1;
	if (g->space == ACPI_GAS_MEMORY && g->addr < arch_direct_map_top())
		return 1;
	kprintf("tally: %s at 0x%lx in %s space cannot be written here (only "
	        "I/O ports and mapped memory)\n", what, g->addr,
	        acpi_gas_space_name(g->space));
	return 0;
}

static uint16_t gas_read16(const struct acpi_gas *g)
{
	if (g->space == ACPI_GAS_IO)
		return inw((uint16_t)g->addr);
	return *(volatile uint16_t *)(uintptr_t)g->addr;
}

static void gas_write16(const struct acpi_gas *g, uint16_t v)
{
	if (g->space == ACPI_GAS_IO)
		outw((uint16_t)g->addr, v);
	else
		*(volatile uint16_t *)(uintptr_t)g->addr = v;
}

static void gas_write8(const struct acpi_gas *g, uint8_t v)
{
	if (g->space == ACPI_GAS_IO)
		arch_outb((uint16_t)g->addr, v);
	else
		*(volatile uint8_t *)(uintptr_t)g->addr = v;
}

static _Noreturn void triple_fault(void)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} none = { 0, 0 };

	__asm__ volatile("lidt %0; int3" ::"m"(none));
	arch_halt_forever();
}

_Noreturn void pc_reset(void)
{
	arch_irq_disable();
	if (pw.has_reset &&
	    gas_usable(&pw.reset_reg, "reset: the FADT reset register")) {
		kprintf("tally: reset: FADT reset register (%s 0x%lx <- 0x%x)\n",
		        acpi_gas_space_name(pw.reset_reg.space), pw.reset_reg.addr,
		        pw.reset_value);
		gas_write8(&pw.reset_reg, pw.reset_value);
		settle(500);
		kprintf("tally: reset: still running; trying port 0xcf9\n");
	} else {
		kprintf("tally: reset: %s; port 0xcf9 (reset control register)\n",
		        !pw.acpi ? "no ACPI tables"
		                 : pw.has_reset ? "reset register unusable"
		                                : "the FADT has no reset register");
	}
	arch_outb(PORT_RCR, RCR_SYS_RST);
	arch_outb(PORT_RCR, RCR_SYS_RST | RCR_RST_CPU);
	settle(500);
	kprintf("tally: reset: still running; trying the keyboard controller\n");
	for (int i = 0; i < 100000 && (arch_inb(PORT_KBC_STATUS) & KBC_IBF); i++)
		arch_pause();
	arch_outb(PORT_KBC_CMD, KBC_PULSE_RESET);
	settle(500);
	kprintf("tally: reset: still running; triple fault\n");
	triple_fault();
}

/* Set SLP_TYP = typ in the PM1 control register g, then SLP_EN too. */
static void pm1_sleep(const struct acpi_gas *g, uint8_t typ, int enable)
{
	uint16_t v = gas_read16(g);

	v = (uint16_t)((v & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN)) |
	               (uint32_t)typ << PM1_SLP_TYP_SHIFT);
	gas_write16(g, enable ? (uint16_t)(v | PM1_SLP_EN) : v);
}

int pc_poweroff(void)
{
	int b;

	arch_irq_disable();
	if (!pw.acpi) {
		kprintf("tally: power-off: no ACPI tables\n");
		return -1;
	}
	if (!pw.has_pm1 && !pw.has_sleep_ctl) {
		kprintf("tally: power-off: the FADT has no PM1a control register "
		        "and no sleep control register\n");
		return -1;
	}
	if (pw.s5.result != ACPI_S5_FOUND) {
		if (pw.s5.result == ACPI_S5_NONE)
			kprintf("tally: power-off: no _S5 in the DSDT\n");
		else
			kprintf("tally: power-off: _S5 unusable: %s\n",
			        pw.s5.why ? pw.s5.why : "?");
		return -1;
	}
	if (!pw.has_pm1) {
		if (!gas_usable(&pw.sleep_ctl, "power-off: SLEEP_CONTROL_REG"))
			return -1;
		kprintf("tally: power-off: SLP_TYP %u and SLP_EN to the sleep "
		        "control register (%s 0x%lx)\n", pw.s5.slp_typa,
		        acpi_gas_space_name(pw.sleep_ctl.space), pw.sleep_ctl.addr);
		gas_write8(&pw.sleep_ctl, (uint8_t)(pw.s5.slp_typa << SLPCTL_TYP_SHIFT |
		                                    SLPCTL_EN));
		settle(1000);
		kprintf("tally: power-off: still running 1 s after SLP_EN\n");
		return -1;
	}
	b = pw.pm1b.addr != 0;
	if (!gas_usable(&pw.pm1a, "power-off: PM1a_CNT") ||
	    (b && !gas_usable(&pw.pm1b, "power-off: PM1b_CNT")))
		return -1;
	kprintf("tally: power-off: SLP_TYP %u to PM1a_CNT (%s 0x%lx)",
	        pw.s5.slp_typa, acpi_gas_space_name(pw.pm1a.space), pw.pm1a.addr);
	if (b)
		kprintf(", %u to PM1b_CNT (%s 0x%lx)", pw.s5.slp_typb,
		        acpi_gas_space_name(pw.pm1b.space), pw.pm1b.addr);
	kprintf(", then SLP_EN\n");
	pm1_sleep(&pw.pm1a, pw.s5.slp_typa, 0);
	if (b)
		pm1_sleep(&pw.pm1b, pw.s5.slp_typb, 0);
	pm1_sleep(&pw.pm1a, pw.s5.slp_typa, 1);
	if (b)
		pm1_sleep(&pw.pm1b, pw.s5.slp_typb, 1);
	settle(1000);
	kprintf("tally: power-off: still running 1 s after SLP_EN\n");
	return -1;
}
