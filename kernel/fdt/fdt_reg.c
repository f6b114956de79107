/*
 * fdt_reg.c - addresses in a device tree: #address-cells, #size-cells
 * and `reg`.
 *
 * Purpose: a node's `reg` is a list of (address, size) pairs whose widths
 * in 32-bit cells its parent states (#address-cells, default 2;
 * #size-cells, default 1; devicetree specification v0.4, 2.3.5).  The
 * kernel decodes them into 64-bit numbers, so a width the numbers cannot
 * hold (address not 1 or 2 cells, size over 2) is an error, as is a cell
 * count over 4 or a reg whose length is not a whole number of pairs.
 *
 * Invariants: only bytes of a property fdt_prop returned are read, and
 * only after its length was checked against the pair width.
 * Locking: none.  Context: any; no allocation.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"

static int one_cells(const struct fdt *f, int node, const char *name, uint32_t dflt,
                     uint32_t *out, char *err, size_t el)
{
	uint32_t len;
	const void *v = fdt_prop(f, node, name, &len);

	*out = dflt;
	if (!v)
		return 0;
	if (len != 4) {
		if (err && el)
			ksnprintf(err, el, "fdt: %s of node at struct+0x%x is %u bytes, not 4",
			          name, (unsigned)node, (unsigned)len);
		return -1;
	}
	*out = fdt_be32(v);
	if (*out > 4) {
		if (err && el)
			ksnprintf(err, el, "fdt: %s of node at struct+0x%x is %u (more than 4)",
			          name, (unsigned)node, (unsigned)*out);
		return -1;
	}
	return 0;
}

int fdt_cells(const struct fdt *f, int node, uint32_t *ac, uint32_t *sc, char *err, size_t el)
{
	if (!fdt_node_name(f, node)) {
		if (err && el)
			ksnprintf(err, el, "fdt: no node at struct+0x%x", (unsigned)node);
		return -1;
	}
	if (one_cells(f, node, "#address-cells", 2, ac, err, el) < 0 ||
	    one_cells(f, node, "#size-cells", 1, sc, err, el) < 0)
		return -1;
	return 0;
}

/* reg's value, its cells and pair count; -1 with err. */
static int reg_layout(const struct fdt *f, int node, const uint8_t **v, uint32_t *ac,
                      uint32_t *sc, char *err, size_t el)
{
	uint32_t len;
	int parent = fdt_parent(f, node);

	if (parent < 0) {
		if (err && el)
			ksnprintf(err, el, "fdt: node at struct+0x%x has no parent for its reg",
			          (unsigned)node);
		return -1;
	}
	if (fdt_cells(f, parent, ac, sc, err, el) < 0)
		return -1;
	*v = fdt_prop(f, node, "reg", &len);
	if (!*v) {
		if (err && el)
			ksnprintf(err, el, "fdt: %s has no reg", fdt_node_name(f, node));
		return -1;
	}
	if (*ac < 1 || *ac > 2 || *sc > 2) {
		if (err && el)
			ksnprintf(err, el, "fdt: reg of %s: #address-cells %u / #size-cells %u do not fit 64 bits",
			          fdt_node_name(f, node), (unsigned)*ac, (unsigned)*sc);
		return -1;
	}
	if (len % (4 * (*ac + *sc)) != 0) {
		if (err && el)
			ksnprintf(err, el, "fdt: reg of %s is %u bytes, not a multiple of %u (%u+%u cells)",
			          fdt_node_name(f, node), (unsigned)len, (unsigned)(4 * (*ac + *sc)),
			          (unsigned)*ac, (unsigned)*sc);
		return -1;
	}
	return (int)(len / (4 * (*ac + *sc)));
}

int fdt_reg_count(const struct fdt *f, int node, char *err, size_t el)
{
	const uint8_t *v;
	uint32_t ac, sc;

	return reg_layout(f, node, &v, &ac, &sc, err, el);
}

static uint64_t cells(const uint8_t *p, uint32_t n)
{
	return n == 0 ? 0 : n == 1 ? fdt_be32(p) : fdt_be64(p);
}

int fdt_reg(const struct fdt *f, int node, uint32_t i, uint64_t *addr, uint64_t *size,
            char *err, size_t el)
{
	const uint8_t *v;
	uint32_t ac, sc;
	int n = reg_layout(f, node, &v, &ac, &sc, err, el);

	if (n < 0)
		return -1;
	if (i >= (uint32_t)n) {
		if (err && el)
			ksnprintf(err, el, "fdt: reg of %s has %d entries, not %u",
			          fdt_node_name(f, node), n, (unsigned)i + 1);
		return -1;
	}
	v += 4 * (ac + sc) * i;
	*addr = cells(v, ac);
	*size = cells(v + 4 * ac, sc);
	return 0;
}
