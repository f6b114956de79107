/*
 * fuzz_fdt.c - fdt_open() and fdt_scan() (kernel/fdt/) on arbitrary blobs.
 *
 * Input: the blob (libFuzzer's buffer is exactly size bytes, so any read
 * past it is a heap-buffer-overflow).
 * Promises checked (fdt.h): on failure err is one NUL-terminated line
 * starting "fdt: " and the struct fdt is zeroed; on success totalsize <=
 * size, the walk in document order visits exactly f.nodes nodes, every
 * name, property name and value it is handed lies inside the blob, every
 * non-root node's parent is a node visited before it, fdt_path of "/"
 * is the root; fdt_scan's counts are within their caps, its memory
 * ranges do not wrap and sum to mem_total, no MPIDR repeats, every
 * string and warning is terminated (warnings start "fdt: "); the same
 * blob gives the same answers twice.
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/fdt/fdt.h"

/* kprintf.c's console sink: the harness prints nothing through it. */
void console_write(const char *s, size_t n)
{
	(void)s;
	(void)n;
}

static struct fdt_info a, b;

static void check_walk(const struct fdt *f, const uint8_t *data)
{
	const uint8_t *hi = data + f->size;
	int n = -1, d = 0, p, count = 0, last = -1;

	while ((n = fdt_next_node(f, n, &d)) >= 0) {
		const char *name = fdt_node_name(f, n);
		int par = fdt_parent(f, n);

		FZ_CHECK(n > last);
		last = n;
		FZ_CHECK(name && (const uint8_t *)name >= data && (const uint8_t *)name + strlen(name) < hi);
		FZ_CHECK(d >= 0 && d <= FDT_MAX_DEPTH);
		FZ_CHECK(count == 0 ? par == -1 && d == 0 : par >= 0 && par < n && d > 0);
		for (p = fdt_first_prop(f, n); p >= 0; p = fdt_next_prop(f, p)) {
			const char *pn;
			uint32_t len;
			const uint8_t *v = fdt_prop_at(f, p, &pn, &len);

			FZ_CHECK(v && v >= data && len <= (size_t)(hi - v));
			FZ_CHECK((const uint8_t *)pn >= data && (const uint8_t *)pn + strlen(pn) < hi);
			FZ_CHECK(fdt_prop(f, n, pn, NULL) != NULL);
		}
		count++;
	}
	FZ_CHECK(count == (int)f->nodes);
	FZ_CHECK(fdt_path(f, "/") == fdt_root(f));
}

static void check_info(const struct fdt_info *o)
{
	uint64_t sum = 0;
	uint32_t i, j;

	FZ_CHECK(o->nmem <= FDT_MAX_MEM && o->ncpu <= FDT_MAX_CPUS && o->nrsv <= FDT_MAX_RSV);
	FZ_CHECK(o->nredist <= FDT_MAX_REDIST && o->nwarn <= FDT_MAX_WARN);
	for (i = 0; i < o->nmem; i++) {
		FZ_CHECK(o->mem[i].size > 0 && o->mem[i].base + o->mem[i].size > o->mem[i].base);
		sum += o->mem[i].size;
	}
	FZ_CHECK(sum == o->mem_total);
	for (i = 0; i < o->ncpu; i++)
		for (j = 0; j < i; j++)
			FZ_CHECK(o->cpu[i].mpidr != o->cpu[j].mpidr);
	FZ_CHECK(memchr(o->model, 0, sizeof o->model) && memchr(o->bootargs, 0, sizeof o->bootargs));
	FZ_CHECK(memchr(o->stdout_path, 0, sizeof o->stdout_path));
	for (i = 0; i < o->nwarn; i++)
		FZ_CHECK(memchr(o->warn[i], 0, FDT_ERR_LEN) && strncmp(o->warn[i], "fdt: ", 5) == 0);
	for (i = 0; i < FDT_TIMER_NIRQ; i++)
		FZ_CHECK(!o->timer[i].valid || (o->timer[i].intid >= 16 && o->timer[i].intid < 1020));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdt f, g;
	char err[FDT_ERR_LEN], err2[FDT_ERR_LEN];
	int rc, rc2;

	memset(err, 0x5a, sizeof err);
	rc = fdt_open(&f, data, size, err, sizeof err);
	FZ_CHECK(rc == 0 || rc == -1);
	FZ_CHECK(memchr(err, 0, sizeof err) != NULL);
	FZ_CHECK(fdt_open(&g, data, size, err2, sizeof err2) == rc && strcmp(err, err2) == 0);
	if (rc != 0) {
		FZ_CHECK(strncmp(err, "fdt: ", 5) == 0 && !strchr(err, '\n'));
		FZ_CHECK(f.blob == NULL && f.size == 0 && fdt_root(&f) == -1);
		return 0;
	}
	FZ_CHECK(err[0] == '\0' && f.size <= size && f.size >= FDT_HEADER_SIZE);
	check_walk(&f, data);
	rc = fdt_scan(&f, &a, err, sizeof err);
	rc2 = fdt_scan(&f, &b, err2, sizeof err2);
	FZ_CHECK(rc == rc2 && strcmp(err, err2) == 0 && memcmp(&a, &b, sizeof a) == 0);
	FZ_CHECK(rc == 0 ? a.nmem > 0 && a.ncpu > 0 : strncmp(err, "fdt: ", 5) == 0);
	check_info(&a);
	return 0;
}
