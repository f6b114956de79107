/*
 * fdt_scan.c - the facts a kernel needs from a device tree.
 *
 * Purpose: turn an opened blob (fdt.c) into one pointer-free struct
 * fdt_info: RAM (every node with device_type "memory", and the header's
 * reservations), the CPUs under /cpus (reg = MPIDR, enable-method psci or
 * spin-table), the PSCI conduit (/psci's method, hvc or smc), the GIC
 * (arm,gic-v3: distributor, redistributor regions, ITS; arm,cortex-a15-gic
 * and friends: distributor, CPU interface, GICv2m), the console (the
 * arm,pl011 named by /chosen stdout-path, else the first one), the
 * arm,armv8-timer's four PPIs, and /chosen bootargs.
 *
 * Interrupt specifiers are decoded only when the node's interrupt parent
 * (its own or an ancestor's interrupt-parent, a phandle) is an interrupt
 * controller with #interrupt-cells = 3, the GIC binding's (type, number,
 * flags); anything else is a warning and an invalid fdt_irq, never a
 * guess.  The meaning of every cell is the devicetree bindings'
 * (Documentation/devicetree/bindings/interrupt-controller/arm,gic*.yaml,
 * timer/arm,arch_timer.yaml, psci.yaml in Linux).
 *
 * Invariants: fdt.h, above fdt_scan().  Locking: none; writes only *out.
 * Context: any (boot time in practice), no allocation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"

struct scan {
	const struct fdt *f;
	struct fdt_info *o;
	char err[FDT_ERR_LEN];  /* the last accessor error */
};

__attribute__((format(printf, 2, 3)))
static void warn(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->o->nwarn >= FDT_MAX_WARN)
		return;
	va_start(ap, fmt);
	kvsnprintf(s->o->warn[s->o->nwarn++], FDT_ERR_LEN, fmt, ap);
	va_end(ap);
}

/* Copy a string property into dst (cap bytes) if it fits; else warn. */
static int copy_str(struct scan *s, int node, const char *prop, char *dst, size_t cap)
{
	uint32_t len;
	const char *v = fdt_prop(s->f, node, prop, &len);

	if (!v)
		return 0;
	if (!fdt_prop_str(s->f, node, prop)) {
		warn(s, "fdt: %s of %s is not a terminated string: ignored", prop,
		     fdt_node_name(s->f, node));
		return 0;
	}
	if (len > cap) {
		warn(s, "fdt: %s of %s is %u bytes, over %u: ignored", prop,
		     fdt_node_name(s->f, node), (unsigned)len, (unsigned)cap);
		return 0;
	}
	memcpy(dst, v, len);
	return 1;
}

static int disabled(struct scan *s, int node)
{
	const char *st = fdt_prop_str(s->f, node, "status");

	return st && strcmp(st, "okay") != 0 && strcmp(st, "ok") != 0;
}

static void scan_memory(struct scan *s)
{
	int n = -1, d = 0, i, cnt;
	uint64_t a, z;

	while ((n = fdt_next_node(s->f, n, &d)) >= 0) {
		const char *dt = fdt_prop_str(s->f, n, "device_type");

		if (!dt || strcmp(dt, "memory") != 0 || disabled(s, n))
			continue;
		cnt = fdt_reg_count(s->f, n, s->err, sizeof s->err);
		if (cnt < 0) {
			warn(s, "%s", s->err);
			continue;
		}
		for (i = 0; i < cnt; i++) {
			if (fdt_reg(s->f, n, (uint32_t)i, &a, &z, s->err, sizeof s->err) < 0)
				break;
			if (z == 0)
				continue;
			if (a + z < a || s->o->mem_total + z < s->o->mem_total) {
				warn(s, "fdt: %s: range 0x%llx+0x%llx wraps: dropped",
				     fdt_node_name(s->f, n), (unsigned long long)a, (unsigned long long)z);
				continue;
			}
			if (s->o->nmem >= FDT_MAX_MEM) {
				warn(s, "fdt: more than %d memory ranges: the rest dropped", FDT_MAX_MEM);
				return;
			}
			s->o->mem[s->o->nmem].base = a;
			s->o->mem[s->o->nmem++].size = z;
			s->o->mem_total += z;
		}
	}
}

static void scan_cpus(struct scan *s)
{
	int cpus = fdt_path(s->f, "/cpus"), c;
	uint32_t ac, sc, len, i;

	if (cpus < 0)
		return;
	if (fdt_cells(s->f, cpus, &ac, &sc, s->err, sizeof s->err) < 0) {
		warn(s, "%s", s->err);
		return;
	}
	if (ac < 1 || ac > 2 || sc != 0) {
		warn(s, "fdt: /cpus has #address-cells %u, #size-cells %u (need 1 or 2, and 0)",
		     (unsigned)ac, (unsigned)sc);
		return;
	}
	for (c = fdt_first_child(s->f, cpus); c >= 0; c = fdt_next_sibling(s->f, c)) {
		const char *dt = fdt_prop_str(s->f, c, "device_type");
		const char *em;
		struct fdt_cpu *cpu;
		const uint8_t *reg;
		uint64_t mpidr;

		if (!dt || strcmp(dt, "cpu") != 0)
			continue;
		reg = fdt_prop(s->f, c, "reg", &len);
		if (!reg || len != 4 * ac) {
			warn(s, "fdt: %s: reg is not one %u-cell MPIDR: skipped",
			     fdt_node_name(s->f, c), (unsigned)ac);
			continue;
		}
		mpidr = ac == 1 ? fdt_be32(reg) : fdt_be64(reg);
		for (i = 0; i < s->o->ncpu; i++)
			if (s->o->cpu[i].mpidr == mpidr)
				break;
		if (i < s->o->ncpu) {
			warn(s, "fdt: %s: MPIDR 0x%llx listed twice: skipped",
			     fdt_node_name(s->f, c), (unsigned long long)mpidr);
			continue;
		}
		if (s->o->ncpu >= FDT_MAX_CPUS) {
			warn(s, "fdt: more than %d CPUs: the rest dropped", FDT_MAX_CPUS);
			return;
		}
		cpu = &s->o->cpu[s->o->ncpu++];
		cpu->mpidr = mpidr;
		cpu->disabled = (uint8_t)disabled(s, c);
		em = fdt_prop_str(s->f, c, "enable-method");
		if (em && strcmp(em, "psci") == 0) {
			cpu->enable = FDT_ENABLE_PSCI;
		} else if (em && strcmp(em, "spin-table") == 0) {
			const uint8_t *ra = fdt_prop(s->f, c, "cpu-release-addr", &len);

			if (ra && len == 8) {
				cpu->enable = FDT_ENABLE_SPIN_TABLE;
				cpu->release_addr = fdt_be64(ra);
			} else {
				warn(s, "fdt: %s: spin-table without an 8-byte cpu-release-addr",
				     fdt_node_name(s->f, c));
			}
		}
	}
}

static void scan_psci(struct scan *s)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci" };
	const char *m;
	unsigned i;
	int n = -1;

	for (i = 0; i < 3 && n < 0; i++)
		n = fdt_find_compatible(s->f, -1, compat[i]);
	if (n < 0 || disabled(s, n))
		return;
	s->o->psci_02 = (uint8_t)(fdt_is_compatible(s->f, n, "arm,psci-1.0") ||
	                          fdt_is_compatible(s->f, n, "arm,psci-0.2"));
	(void)fdt_prop_u32(s->f, n, "cpu_on", &s->o->psci_cpu_on);
	m = fdt_prop_str(s->f, n, "method");
	if (m && strcmp(m, "hvc") == 0)
		s->o->psci = FDT_PSCI_HVC;
	else if (m && strcmp(m, "smc") == 0)
		s->o->psci = FDT_PSCI_SMC;
	else
		warn(s, "fdt: %s: method is %s%s%s, not \"hvc\" or \"smc\": no PSCI",
		     fdt_node_name(s->f, n), m ? "\"" : "", m ? m : "missing", m ? "\"" : "");
}

static int reg_into(struct scan *s, int node, uint32_t i, struct fdt_range *r)
{
	if (fdt_reg(s->f, node, i, &r->base, &r->size, s->err, sizeof s->err) == 0)
		return 0;
	warn(s, "%s", s->err);
	r->base = r->size = 0;
	return -1;
}

static void scan_gic(struct scan *s)
{
	static const char *const v2[] = { "arm,cortex-a15-gic", "arm,gic-400",
	                                  "arm,cortex-a9-gic", "arm,cortex-a7-gic" };
	unsigned i;
	int n = fdt_find_compatible(s->f, -1, "arm,gic-v3"), c;
	uint32_t nr = 1;

	if (n >= 0) {
		s->o->gic_version = 3;
		if (fdt_prop(s->f, n, "#redistributor-regions", NULL) &&
		    fdt_prop_u32(s->f, n, "#redistributor-regions", &nr) < 0) {
			warn(s, "fdt: %s: #redistributor-regions is not one cell", fdt_node_name(s->f, n));
			nr = 1;
		}
		if (nr == 0 || nr > FDT_MAX_REDIST) {
			warn(s, "fdt: %s: #redistributor-regions %u outside 1..%d",
			     fdt_node_name(s->f, n), (unsigned)nr, FDT_MAX_REDIST);
			nr = nr ? FDT_MAX_REDIST : 1;
		}
		if (reg_into(s, n, 0, &s->o->gicd) < 0)
			return;
		for (i = 0; i < nr; i++)
			if (reg_into(s, n, 1 + i, &s->o->redist[i]) == 0)
				s->o->nredist++;
		for (c = fdt_first_child(s->f, n); c >= 0; c = fdt_next_sibling(s->f, c))
			if (fdt_is_compatible(s->f, c, "arm,gic-v3-its") && !disabled(s, c)) {
				reg_into(s, c, 0, &s->o->msi);
				break;
			}
		return;
	}
	for (i = 0, n = -1; i < 4 && n < 0; i++)
		n = fdt_find_compatible(s->f, -1, v2[i]);
	if (n < 0)
		return;
	s->o->gic_version = 2;
	if (reg_into(s, n, 0, &s->o->gicd) < 0 || reg_into(s, n, 1, &s->o->gicc) < 0)
		return;
	for (c = fdt_first_child(s->f, n); c >= 0; c = fdt_next_sibling(s->f, c))
		if (fdt_is_compatible(s->f, c, "arm,gic-v2m-frame") && !disabled(s, c)) {
			reg_into(s, c, 0, &s->o->msi);
			break;
		}
}

/* The interrupt parent of node: its own interrupt-parent or the nearest
 * ancestor's, resolved by phandle; -1 with a warning. */
static int irq_parent(struct scan *s, int node)
{
	int n = node;
	uint32_t ph;

	while (n >= 0) {
		if (fdt_prop(s->f, n, "interrupt-parent", NULL)) {
			int p;

			if (fdt_prop_u32(s->f, n, "interrupt-parent", &ph) < 0 ||
			    (p = fdt_find_phandle(s->f, ph)) < 0) {
				warn(s, "fdt: %s: interrupt-parent names no node", fdt_node_name(s->f, n));
				return -1;
			}
			return p;
		}
		n = fdt_parent(s->f, n);
	}
	warn(s, "fdt: %s: no interrupt-parent", fdt_node_name(s->f, node));
	return -1;
}

/* Decode `interrupts` entry i of node into *q; 0 or -1 (warned). */
static int irq_decode(struct scan *s, int node, uint32_t i, struct fdt_irq *q)
{
	int p = irq_parent(s, node);
	uint32_t cells, len;
	const uint8_t *v;

	memset(q, 0, sizeof *q);
	if (p < 0)
		return -1;
	if (!fdt_prop(s->f, p, "interrupt-controller", NULL) ||
	    fdt_prop_u32(s->f, p, "#interrupt-cells", &cells) < 0 || cells != 3) {
		warn(s, "fdt: %s: interrupt parent %s is not a 3-cell interrupt controller",
		     fdt_node_name(s->f, node), fdt_node_name(s->f, p));
		return -1;
	}
	v = fdt_prop(s->f, node, "interrupts", &len);
	if (!v || len % 12 != 0 || i >= len / 12) {
		warn(s, "fdt: %s: interrupts has no entry %u of 3 cells", fdt_node_name(s->f, node),
		     (unsigned)i);
		return -1;
	}
	v += 12 * i;
	q->type = (uint8_t)fdt_be32(v);
	q->num = fdt_be32(v + 4);
	q->flags = fdt_be32(v + 8);
	if (fdt_be32(v) == 0 && q->num <= 987) {
		q->intid = q->num + 32;
	} else if (fdt_be32(v) == 1 && q->num <= 15) {
		q->intid = q->num + 16;
	} else {
		warn(s, "fdt: %s: interrupt %u is type %u number %u, not an SPI 0..987 or a PPI 0..15",
		     fdt_node_name(s->f, node), (unsigned)i, (unsigned)fdt_be32(v), (unsigned)q->num);
		memset(q, 0, sizeof *q);
		return -1;
	}
	q->valid = 1;
	return 0;
}

/* stdout-path: "/path[:options]" or "alias[:options]" (through /aliases). */
static int stdout_node(struct scan *s)
{
	char path[FDT_PATH_LEN];
	char *colon;
	int al;

	if (!s->o->stdout_path[0])
		return -1;
	memcpy(path, s->o->stdout_path, sizeof path);
	colon = strchr(path, ':');
	if (colon)
		*colon = '\0';
	if (path[0] == '/')
		return fdt_path(s->f, path);
	al = fdt_path(s->f, "/aliases");
	if (al >= 0) {
		const char *t = fdt_prop_str(s->f, al, path);

		if (t)
			return fdt_path(s->f, t);
	}
	return -1;
}

static void scan_uart(struct scan *s)
{
	int n = stdout_node(s);

	if (n >= 0 && fdt_is_compatible(s->f, n, "arm,pl011")) {
		s->o->uart_is_stdout = 1;
	} else {
		if (s->o->stdout_path[0])
			warn(s, "fdt: stdout-path \"%s\" is not an arm,pl011; taking the first one",
			     s->o->stdout_path);
		n = -1;
		while ((n = fdt_find_compatible(s->f, n, "arm,pl011")) >= 0 && disabled(s, n))
			;
	}
	if (n < 0 || reg_into(s, n, 0, &s->o->uart) < 0)
		return;
	s->o->has_uart = 1;
	if (fdt_prop(s->f, n, "interrupts", NULL))
		(void)irq_decode(s, n, 0, &s->o->uart_irq);
}

static void scan_timer(struct scan *s)
{
	int n = fdt_find_compatible(s->f, -1, "arm,armv8-timer");
	uint32_t i;

	if (n < 0)
		return;
	s->o->has_timer = 1;
	for (i = 0; i < FDT_TIMER_NIRQ; i++)
		if (irq_decode(s, n, i, &s->o->timer[i]) < 0)
			break;
}

int fdt_scan(const struct fdt *f, struct fdt_info *out, char *err, size_t errlen)
{
	struct scan s = { .f = f, .o = out };
	int root = fdt_root(f), chosen;
	uint32_t i;

	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';
	if (root < 0) {
		if (err && errlen)
			ksnprintf(err, errlen, "fdt: no blob opened");
		return -1;
	}
	copy_str(&s, root, "model", out->model, sizeof out->model);
	for (i = 0; i < f->nrsv; i++) {
		if (i >= FDT_MAX_RSV) {
			warn(&s, "fdt: more than %d reservations: the rest dropped", FDT_MAX_RSV);
			break;
		}
		fdt_rsv(f, i, &out->rsv[i].base, &out->rsv[i].size);
		out->nrsv++;
	}
	chosen = fdt_path(f, "/chosen");
	if (chosen >= 0) {
		out->has_bootargs = (uint8_t)copy_str(&s, chosen, "bootargs", out->bootargs,
		                                      sizeof out->bootargs);
		copy_str(&s, chosen, "stdout-path", out->stdout_path, sizeof out->stdout_path);
	}
	scan_memory(&s);
	scan_cpus(&s);
	scan_psci(&s);
	scan_gic(&s);
	scan_uart(&s);
	scan_timer(&s);
	if (out->nmem == 0 || out->ncpu == 0) {
		if (err && errlen)
			ksnprintf(err, errlen, "fdt: %s", out->nmem == 0 ? "no memory range (device_type \"memory\" with a reg)"
			                                                : "no CPU under /cpus");
		return -1;
	}
	return 0;
}
