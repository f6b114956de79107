/*
 * fdt.h - the flattened device tree (DTB) a boot loader or QEMU hands over.
 *
 * Purpose: on a machine without ACPI (QEMU's aarch64 `virt` booted with
 * -kernel) the only description of the board is a device tree blob: its
 * RAM, CPUs (MPIDRs and how to start them), the PSCI conduit, the
 * interrupt controller, the console UART, the timer's interrupts and the
 * command line.  This header has two layers:
 *   - the blob (fdt.c): fdt_open() checks the header and walks the whole
 *     structure block once, so every later access stays inside the blob;
 *     then nodes are found by path, by document order or by `compatible`,
 *     and their properties read; `reg` is decoded with the parent's
 *     #address-cells/#size-cells by fdt_reg.c;
 *   - the facts (fdt_scan.c): fdt_scan() collects what the kernel needs
 *     into one pointer-free struct fdt_info, as acpi_parse() does for ACPI.
 * It is ISA-independent: nothing here knows which CPU runs it.
 *
 * Data structures: struct fdt is a view of the blob (its base and the
 * checked header fields); nodes and properties are named by their byte
 * offset in the structure block (a node's offset is its FDT_BEGIN_NODE
 * token), never by pointer, and -1 means "none".  Property values are
 * returned as pointers into the blob with their length.  All multi-byte
 * values in a blob are big-endian; fdt_be32/fdt_be64 read them.
 *
 * Invariants after fdt_open() returned 0 (devicetree specification v0.4,
 * chapter 5):
 *   magic = 0xd00dfeed; version >= 17 and last_comp_version <= 17;
 *   40 <= totalsize <= the length the caller gave;
 *   the reservation block (8-aligned), the structure block (4-aligned) and
 *   the strings block lie inside [40, totalsize) without wrapping and do
 *   not overlap each other; the reservation block's (0, 0) terminator
 *   lies inside the blob and before the next block;
 *   the structure block is one root node (empty name) followed by
 *   FDT_END, with FDT_NOPs allowed anywhere between tokens; every name
 *   and every property name is NUL-terminated inside its block; every
 *   property's value lies inside the structure block; a node's properties
 *   come before its subnodes; nesting depth <= FDT_MAX_DEPTH.
 * So every accessor below only reads bytes inside [blob, blob+totalsize),
 * and each re-checks its own bounds anyway (a bug here returns -1, it does
 * not read outside).  A blob failing a check gives -1 and one error line
 * "fdt: ..." naming the check and the offset, never a partial view.
 *
 * Locking: none; a struct fdt is read-only after fdt_open.  Context: any
 * (boot time in practice): no allocation, no globals, no floating point;
 * of the C library only memcmp, memcpy, memset and strlen-like loops.
 */
#ifndef TALLY_FDT_H
#define TALLY_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC       0xd00dfeedu
#define FDT_HEADER_SIZE 40u
/* Deepest nesting accepted (QEMU's virt tree is 5 deep: cpus/cpu-map/...). */
#define FDT_MAX_DEPTH   32
#define FDT_ERR_LEN     128

struct fdt {
	const uint8_t *blob;
	uint32_t size;          /* totalsize */
	uint32_t off_struct, size_struct;
	uint32_t off_strings, size_strings;
	uint32_t off_rsv;
	uint32_t nrsv;          /* entries in the reservation block */
	uint32_t version, boot_cpuid;
	uint32_t nodes;         /* nodes in the structure block */
};

static inline uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t fdt_be64(const void *p)
{
	return (uint64_t)fdt_be32(p) << 32 | fdt_be32((const uint8_t *)p + 4);
}

/* Check blob (len readable bytes) and fill f.  0, or -1 with one line in
 * err (errlen bytes, at most FDT_ERR_LEN useful).  f is zeroed on failure. */
int fdt_open(struct fdt *f, const void *blob, size_t len, char *err, size_t errlen);

/* The i-th memory reservation (i < f->nrsv): 0, or -1. */
int fdt_rsv(const struct fdt *f, uint32_t i, uint64_t *addr, uint64_t *size);

/* ---- nodes (offsets in the structure block; -1 = none) ---- */
int fdt_root(const struct fdt *f);
/* The node after `node` in document order, its depth relative to the root
 * (root = 0) in *depth; -1 after the last.  node = -1 starts at the root. */
int fdt_next_node(const struct fdt *f, int node, int *depth);
int fdt_first_child(const struct fdt *f, int node);
int fdt_next_sibling(const struct fdt *f, int node);
/* The parent node, -1 for the root (a walk from the root: O(size)). */
int fdt_parent(const struct fdt *f, int node);
/* NUL-terminated name ("" for the root, "cpu@0" ...), NULL if invalid. */
const char *fdt_node_name(const struct fdt *f, int node);
/* A node by absolute path "/a/b@1"; a component without '@' also matches
 * a name with a unit address ("/memory" finds "memory@40000000").  When
 * several match, the first in document order. */
int fdt_path(const struct fdt *f, const char *path);
/* The first node after `after` (-1: from the start) in document order
 * whose `compatible` list holds compat. */
int fdt_find_compatible(const struct fdt *f, int after, const char *compat);
/* The node whose phandle (or linux,phandle) is ph. */
int fdt_find_phandle(const struct fdt *f, uint32_t ph);

/* ---- properties ---- */
/* Value of property `name` of node: pointer into the blob and its length;
 * NULL if the node has no such property. */
const void *fdt_prop(const struct fdt *f, int node, const char *name, uint32_t *len);
/* Iterate properties: the first / next property offset of node, -1 at the
 * end; fdt_prop_at gives its name, value and length. */
int fdt_first_prop(const struct fdt *f, int node);
int fdt_next_prop(const struct fdt *f, int prop);
const void *fdt_prop_at(const struct fdt *f, int prop, const char **name, uint32_t *len);
/* A string property: its value if non-empty and NUL-terminated within its
 * length, else NULL. */
const char *fdt_prop_str(const struct fdt *f, int node, const char *name);
/* A one-cell property: 0 and *v, or -1 (absent or not 4 bytes long). */
int fdt_prop_u32(const struct fdt *f, int node, const char *name, uint32_t *v);
/* 1 if the string list (len bytes) holds s as one whole entry; an
 * unterminated last entry never matches. */
int fdt_strlist_has(const void *list, uint32_t len, const char *s);
int fdt_is_compatible(const struct fdt *f, int node, const char *compat);

/* ---- addresses ---- */
/* #address-cells and #size-cells that node gives its children (defaults
 * 2 and 1).  0, or -1 with err when either is absent-but-malformed (not 4
 * bytes) or larger than 4. */
int fdt_cells(const struct fdt *f, int node, uint32_t *ac, uint32_t *sc,
              char *err, size_t errlen);
/* How many (address, size) pairs node's `reg` holds under its parent's
 * cells; -1 with err when reg is absent, its length is not a multiple of
 * a pair, or the cells do not fit 64 bits (address 1..2, size 0..2). */
int fdt_reg_count(const struct fdt *f, int node, char *err, size_t errlen);
/* The i-th pair; 0, or -1 with err.  A size of 0 cells gives *size = 0. */
int fdt_reg(const struct fdt *f, int node, uint32_t i, uint64_t *addr, uint64_t *size,
            char *err, size_t errlen);

/* ---- the facts (fdt_scan.c) ---- */
#define FDT_MAX_MEM      16
#define FDT_MAX_RSV      16
#define FDT_MAX_CPUS     256
#define FDT_MAX_REDIST   8
#define FDT_MAX_WARN     16
#define FDT_BOOTARGS_LEN 1024
#define FDT_PATH_LEN     128

struct fdt_range {
	uint64_t base, size;
};

enum fdt_enable { FDT_ENABLE_NONE, FDT_ENABLE_PSCI, FDT_ENABLE_SPIN_TABLE };
enum fdt_conduit { FDT_PSCI_NONE, FDT_PSCI_HVC, FDT_PSCI_SMC };

struct fdt_cpu {
	uint64_t mpidr;         /* reg: MPIDR_EL1's affinity fields */
	uint64_t release_addr;  /* spin-table: cpu-release-addr, else 0 */
	uint8_t enable;         /* enum fdt_enable */
	uint8_t disabled;       /* status = "disabled" (may still be started) */
};

/* One GIC interrupt specifier (#interrupt-cells = 3). */
struct fdt_irq {
	uint8_t valid;
	uint8_t type;           /* 0 SPI, 1 PPI */
	uint32_t num;           /* as written: SPI 0..987, PPI 0..15 */
	uint32_t flags;         /* trigger/polarity cell (1 edge, 4 level high) */
	uint32_t intid;         /* GIC INTID: SPI num + 32, PPI num + 16 */
};

enum { FDT_TIMER_SEC_PHYS, FDT_TIMER_PHYS, FDT_TIMER_VIRT, FDT_TIMER_HYP, FDT_TIMER_NIRQ };

struct fdt_info {
	char model[64];                 /* "" if none */
	uint32_t nrsv;                  /* the header's reservation block */
	struct fdt_range rsv[FDT_MAX_RSV];
	uint32_t nmem;                  /* device_type = "memory" reg ranges */
	struct fdt_range mem[FDT_MAX_MEM];
	uint64_t mem_total;             /* sum of mem[].size */
	uint32_t ncpu;                  /* /cpus children with device_type "cpu" */
	struct fdt_cpu cpu[FDT_MAX_CPUS];
	uint8_t psci;                   /* enum fdt_conduit */
	uint8_t psci_02;                /* arm,psci-0.2 or later: standard ids */
	uint32_t psci_cpu_on;           /* the node's cpu_on id (PSCI 0.1), or 0 */
	uint8_t gic_version;            /* 0 none, 2 or 3 */
	struct fdt_range gicd;          /* distributor */
	struct fdt_range gicc;          /* v2: CPU interface */
	uint32_t nredist;               /* v3: redistributor regions */
	struct fdt_range redist[FDT_MAX_REDIST];
	struct fdt_range msi;           /* v3 ITS or v2 GICv2m frame; size 0: none */
	uint8_t has_uart;               /* an arm,pl011 */
	uint8_t uart_is_stdout;         /* ... named by /chosen stdout-path */
	struct fdt_range uart;
	struct fdt_irq uart_irq;
	uint8_t has_timer;              /* arm,armv8-timer */
	struct fdt_irq timer[FDT_TIMER_NIRQ];
	uint8_t has_bootargs;
	char bootargs[FDT_BOOTARGS_LEN];/* /chosen bootargs */
	char stdout_path[FDT_PATH_LEN]; /* /chosen stdout-path, "" if none */
	uint32_t nwarn;
	char warn[FDT_MAX_WARN][FDT_ERR_LEN];
};

/* Collect the facts of an opened blob into *out (about 10 KiB: keep it in
 * .bss).  Invariants after it: counts <= their caps (beyond a cap: one
 * warning, the rest dropped); mem[] are the ranges of size > 0 in
 * document order, mem_total their sum (no wrap: a range that would wrap
 * is dropped with a warning); no two cpu[] share an mpidr; every string
 * is NUL-terminated; every warn[] is one line starting "fdt: ".  A
 * malformed part (a reg with the wrong length, an interrupt whose parent
 * is not a 3-cell GIC, an unterminated string) is skipped with a warning,
 * never guessed.  Returns 0, or -1 with err when the tree has no usable
 * memory range or no CPU (nothing could run on it). */
int fdt_scan(const struct fdt *f, struct fdt_info *out, char *err, size_t errlen);

#endif
