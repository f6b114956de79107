/*
 * fdt.c - checking and walking a flattened device tree blob.
 *
 * Purpose: fdt_open() proves once that the blob is well formed (fdt.h
 * lists what that means), so the accessors can walk the structure block
 * token by token without trusting a length twice.  They still read every
 * token through tok(), which refuses an offset outside the structure
 * block, so a defect here gives -1, not a read outside the blob.
 *
 * Structure block tokens (big-endian u32, 4-aligned):
 *   FDT_BEGIN_NODE (1) name\0, padded to 4
 *   FDT_END_NODE   (2)
 *   FDT_PROP       (3) len u32, nameoff u32 (into the strings block),
 *                      value[len], padded to 4
 *   FDT_NOP        (4)
 *   FDT_END        (9)
 *
 * Rejected alternative: libfdt (dtc's library) does the same, but trusts
 * a checked header only lazily, per access (fdt_check_full exists but is
 * optional), and is 5000 lines in a style of its own; the kernel needs a
 * tenth of it.
 *
 * Locking: none.  Context: any; no allocation; the walk used by
 * fdt_parent/fdt_next_node keeps at most FDT_MAX_DEPTH + 1 ints on the
 * stack.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"

enum { T_BEGIN = 1, T_END_NODE = 2, T_PROP = 3, T_NOP = 4, T_END = 9 };

#define ALIGN4(x) (((x) + 3u) & ~3u)

/* err = what, formatted with a and b (both printed as %llx or %llu; a
 * message with one number ignores b). */
static void seterr(char *err, size_t errlen, const char *what, uint64_t a, uint64_t b)
{
	if (err && errlen)
		ksnprintf(err, errlen, what, (unsigned long long)a, (unsigned long long)b);
}

/* The token at structure offset off, or 0 (no token is 0) if off is not a
 * whole token inside the block. */
static uint32_t tok(const struct fdt *f, uint32_t off)
{
	if (off & 3u || off > f->size_struct || f->size_struct - off < 4)
		return 0;
	return fdt_be32(f->blob + f->off_struct + off);
}

/* Length of the NUL-terminated string at p within max bytes, or -1. */
static long bounded_len(const uint8_t *p, uint32_t max)
{
	const uint8_t *z = memchr(p, 0, max);

	return z ? (long)(z - p) : -1;
}

/* Check [off, off+len) lies in [FDT_HEADER_SIZE, total) without wrapping. */
static int inside(uint64_t off, uint64_t len, uint64_t total)
{
	return off >= FDT_HEADER_SIZE && off <= total && len <= total - off;
}

static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The whole structure walk of fdt_open (see fdt.h's invariants). */
static int check_struct(struct fdt *f, char *err, size_t el)
{
	const uint8_t *s = f->blob + f->off_struct;
	uint32_t off = 0, n = f->size_struct;
	int depth = 0, root_done = 0;
	uint64_t had_child = 0;   /* bit d: the open node at depth d had a child */

	for (;;) {
		uint32_t t;
		long l;

		if (off > n || n - off < 4) {
			seterr(err, el, "fdt: structure block ends at 0x%llx without FDT_END",
			       n, 0);
			return -1;
		}
		t = fdt_be32(s + off);
		switch (t) {
		case T_BEGIN:
			if (root_done) {
				seterr(err, el, "fdt: node at struct+0x%llx after the root node ended", off, 0);
				return -1;
			}
			l = bounded_len(s + off + 4, n - off - 4);
			if (l < 0) {
				seterr(err, el, "fdt: node name at struct+0x%llx not terminated inside the block",
				       off + 4, 0);
				return -1;
			}
			if (depth == 0 && l != 0) {
				seterr(err, el, "fdt: root node at struct+0x%llx has a name", off, 0);
				return -1;
			}
			if (depth > 0)
				had_child |= 1ull << (depth - 1);
			if (++depth > FDT_MAX_DEPTH) {
				seterr(err, el, "fdt: node at struct+0x%llx nested deeper than %llu", off,
				       FDT_MAX_DEPTH);
				return -1;
			}
			had_child &= ~(1ull << (depth - 1));
			f->nodes++;
			off = ALIGN4(off + 4 + (uint32_t)l + 1);
			break;
		case T_END_NODE:
			if (depth == 0) {
				seterr(err, el, "fdt: FDT_END_NODE at struct+0x%llx closes no node", off, 0);
				return -1;
			}
			if (--depth == 0)
				root_done = 1;
			off += 4;
			break;
		case T_PROP: {
			uint32_t len, nameoff;

			if (depth == 0) {
				seterr(err, el, "fdt: property at struct+0x%llx outside any node", off, 0);
				return -1;
			}
			if (had_child & 1ull << (depth - 1)) {
				seterr(err, el, "fdt: property at struct+0x%llx after a subnode", off, 0);
				return -1;
			}
			if (n - off < 12) {
				seterr(err, el, "fdt: property header at struct+0x%llx runs past the block (0x%llx bytes)",
				       off, n);
				return -1;
			}
			len = fdt_be32(s + off + 4);
			nameoff = fdt_be32(s + off + 8);
			if (len > n - off - 12) {
				seterr(err, el, "fdt: property at struct+0x%llx: length 0x%llx runs past the structure block",
				       off, len);
				return -1;
			}
			if (nameoff >= f->size_strings ||
			    bounded_len(f->blob + f->off_strings + nameoff, f->size_strings - nameoff) < 0) {
				seterr(err, el, "fdt: property at struct+0x%llx: name at strings+0x%llx not terminated inside the strings block",
				       off, nameoff);
				return -1;
			}
			off = ALIGN4(off + 12 + len);
			break;
		}
		case T_NOP:
			off += 4;
			break;
		case T_END:
			if (!root_done) {
				seterr(err, el, depth ? "fdt: FDT_END at struct+0x%llx inside a node"
				                      : "fdt: FDT_END at struct+0x%llx before any node", off, 0);
				return -1;
			}
			return 0;
		default:
			seterr(err, el, "fdt: unknown token 0x%llx at struct+0x%llx", t, off);
			return -1;
		}
	}
}

int fdt_open(struct fdt *f, const void *blob, size_t len, char *err, size_t el)
{
	const uint8_t *b = blob;
	uint64_t total, rsv_end, i;
	uint32_t last_comp;

	memset(f, 0, sizeof *f);
	if (err && el)
		err[0] = '\0';
	if (!b || len < FDT_HEADER_SIZE) {
		seterr(err, el, "fdt: blob of %llu bytes is shorter than the %llu-byte header",
		       b ? len : 0, FDT_HEADER_SIZE);
		return -1;
	}
	if (fdt_be32(b) != FDT_MAGIC) {
		seterr(err, el, "fdt: bad magic 0x%llx (expected 0x%llx)", fdt_be32(b), FDT_MAGIC);
		return -1;
	}
	total = fdt_be32(b + 4);
	f->version = fdt_be32(b + 20);
	last_comp = fdt_be32(b + 24);
	if (f->version < 17 || last_comp > 17) {
		seterr(err, el, "fdt: version %llu (last compatible %llu) not supported: need 17",
		       f->version, last_comp);
		goto bad;
	}
	if (total < FDT_HEADER_SIZE || total > len) {
		seterr(err, el, "fdt: totalsize 0x%llx outside [0x28, 0x%llx] (the bytes given)", total, len);
		goto bad;
	}
	f->blob = b;
	f->size = (uint32_t)total;
	f->off_struct = fdt_be32(b + 8);
	f->off_strings = fdt_be32(b + 12);
	f->off_rsv = fdt_be32(b + 16);
	f->boot_cpuid = fdt_be32(b + 28);
	f->size_strings = fdt_be32(b + 32);
	f->size_struct = fdt_be32(b + 36);
	if (!inside(f->off_struct, f->size_struct, total) || (f->off_struct & 3u)) {
		seterr(err, el, "fdt: structure block at 0x%llx (0x%llx bytes) not 4-aligned inside the blob",
		       f->off_struct, f->size_struct);
		goto bad;
	}
	if (!inside(f->off_strings, f->size_strings, total)) {
		seterr(err, el, "fdt: strings block at 0x%llx (0x%llx bytes) not inside the blob",
		       f->off_strings, f->size_strings);
		goto bad;
	}
	if (!inside(f->off_rsv, 16, total) || (f->off_rsv & 7u)) {
		seterr(err, el, "fdt: reservation block at 0x%llx not 8-aligned inside the blob (0x%llx bytes)",
		       f->off_rsv, total);
		goto bad;
	}
	for (i = f->off_rsv;; i += 16) {
		if (total - i < 16) {
			seterr(err, el, "fdt: reservation block at 0x%llx has no terminator before 0x%llx",
			       f->off_rsv, total);
			goto bad;
		}
		if (fdt_be64(b + i) == 0 && fdt_be64(b + i + 8) == 0)
			break;
		f->nrsv++;
	}
	rsv_end = i + 16;
	if (overlap(f->off_struct, f->size_struct, f->off_strings, f->size_strings) ||
	    overlap(f->off_rsv, rsv_end - f->off_rsv, f->off_struct, f->size_struct) ||
	    overlap(f->off_rsv, rsv_end - f->off_rsv, f->off_strings, f->size_strings)) {
		seterr(err, el, "fdt: blocks overlap: reservations [0x%llx, 0x%llx), ", f->off_rsv, rsv_end);
		if (err && el) {
			size_t u = strlen(err);
			ksnprintf(err + u, el - u, "structure [0x%x, 0x%x), strings [0x%x, 0x%x)",
			          f->off_struct, f->off_struct + f->size_struct,
			          f->off_strings, f->off_strings + f->size_strings);
		}
		goto bad;
	}
	if (check_struct(f, err, el) == 0)
		return 0;
bad:
	memset(f, 0, sizeof *f);
	return -1;
}

int fdt_rsv(const struct fdt *f, uint32_t i, uint64_t *addr, uint64_t *size)
{
	uint64_t o;

	if (!f->blob || i >= f->nrsv)
		return -1;
	o = f->off_rsv + 16ull * i;
	*addr = fdt_be64(f->blob + o);
	*size = fdt_be64(f->blob + o + 8);
	return 0;
}

/* ---- nodes ---------------------------------------------------------- */

const char *fdt_node_name(const struct fdt *f, int node)
{
	if (node < 0 || tok(f, (uint32_t)node) != T_BEGIN)
		return NULL;
	return (const char *)f->blob + f->off_struct + node + 4;
}

/* Offset of the token after `off`'s token (skipping a name or a value);
 * 0 when off is not a valid token (0 is the root, never a successor). */
static uint32_t skip(const struct fdt *f, uint32_t off)
{
	const uint8_t *s = f->blob + f->off_struct;
	long l;

	switch (tok(f, off)) {
	case T_BEGIN:
		l = bounded_len(s + off + 4, f->size_struct - off - 4);
		return l < 0 ? 0 : ALIGN4(off + 4 + (uint32_t)l + 1);
	case T_PROP:
		if (f->size_struct - off < 12 || fdt_be32(s + off + 4) > f->size_struct - off - 12)
			return 0;
		return ALIGN4(off + 12 + fdt_be32(s + off + 4));
	case T_END_NODE:
	case T_NOP:
		return off + 4;
	default:
		return 0;
	}
}

/* The first token after node's name and properties (and NOPs). */
static uint32_t after_props(const struct fdt *f, uint32_t node)
{
	uint32_t off = skip(f, node);
	uint32_t t;

	while (off && ((t = tok(f, off)) == T_PROP || t == T_NOP))
		off = skip(f, off);
	return off;
}

int fdt_root(const struct fdt *f)
{
	uint32_t off = 0;

	while (f->blob && tok(f, off) == T_NOP)
		off += 4;
	return f->blob && tok(f, off) == T_BEGIN ? (int)off : -1;
}

int fdt_next_node(const struct fdt *f, int node, int *depth)
{
	uint32_t off;
	int d = depth ? *depth : 0;

	if (node < 0) {
		if (depth)
			*depth = 0;
		return fdt_root(f);
	}
	if (tok(f, (uint32_t)node) != T_BEGIN)
		return -1;
	off = after_props(f, (uint32_t)node);
	d++;
	while (off) {
		switch (tok(f, off)) {
		case T_BEGIN:
			if (depth)
				*depth = d;
			return (int)off;
		case T_END_NODE:
			d--;
			off += 4;
			break;
		case T_NOP:
		case T_PROP:
			off = skip(f, off);
			break;
		default:
			return -1;
		}
	}
	return -1;
}

int fdt_first_child(const struct fdt *f, int node)
{
	uint32_t off;

	if (node < 0 || tok(f, (uint32_t)node) != T_BEGIN)
		return -1;
	off = after_props(f, (uint32_t)node);
	return off && tok(f, off) == T_BEGIN ? (int)off : -1;
}

int fdt_next_sibling(const struct fdt *f, int node)
{
	uint32_t off;
	int d = 0;

	if (node < 0 || tok(f, (uint32_t)node) != T_BEGIN)
		return -1;
	off = (uint32_t)node;
	do {   /* to the END_NODE that closes node */
		uint32_t t = tok(f, off);

		if (t == T_BEGIN)
			d++;
		else if (t == T_END_NODE)
			d--;
		off = skip(f, off);
	} while (off && d > 0);
	while (off && tok(f, off) == T_NOP)
		off += 4;
	return off && tok(f, off) == T_BEGIN ? (int)off : -1;
}

int fdt_parent(const struct fdt *f, int node)
{
	int stack[FDT_MAX_DEPTH + 1];
	int n = -1, d = 0;

	while ((n = fdt_next_node(f, n, &d)) >= 0) {
		if (d > FDT_MAX_DEPTH)
			return -1;
		stack[d] = n;
		if (n == node)
			return d == 0 ? -1 : stack[d - 1];
		if (n > node)
			return -1;
	}
	return -1;
}

/* name matches component c (clen bytes) as fdt_path says. */
static int name_matches(const char *name, const char *c, size_t clen)
{
	if (strncmp(name, c, clen) != 0)
		return 0;
	return name[clen] == '\0' || (name[clen] == '@' && !memchr(c, '@', clen));
}

int fdt_path(const struct fdt *f, const char *path)
{
	int node = fdt_root(f);

	if (!path || path[0] != '/')
		return -1;
	while (node >= 0) {
		size_t clen;
		int c;

		while (*path == '/')
			path++;
		if (!*path)
			return node;
		for (clen = 0; path[clen] && path[clen] != '/'; clen++)
			;
		for (c = fdt_first_child(f, node); c >= 0; c = fdt_next_sibling(f, c))
			if (name_matches(fdt_node_name(f, c), path, clen))
				break;
		node = c;
		path += clen;
	}
	return -1;
}

int fdt_find_compatible(const struct fdt *f, int after, const char *compat)
{
	int n = after, d = 0;

	while ((n = fdt_next_node(f, n, &d)) >= 0)
		if (fdt_is_compatible(f, n, compat))
			return n;
	return -1;
}

int fdt_find_phandle(const struct fdt *f, uint32_t ph)
{
	int n = -1, d = 0;
	uint32_t v;

	if (ph == 0 || ph == 0xffffffffu)
		return -1;
	while ((n = fdt_next_node(f, n, &d)) >= 0)
		if ((fdt_prop_u32(f, n, "phandle", &v) == 0 && v == ph) ||
		    (fdt_prop_u32(f, n, "linux,phandle", &v) == 0 && v == ph))
			return n;
	return -1;
}

/* ---- properties ----------------------------------------------------- */

static int prop_from(const struct fdt *f, uint32_t off)
{
	uint32_t t;

	while (off && (t = tok(f, off)) == T_NOP)
		off += 4;
	return off && tok(f, off) == T_PROP ? (int)off : -1;
}

int fdt_first_prop(const struct fdt *f, int node)
{
	if (node < 0 || tok(f, (uint32_t)node) != T_BEGIN)
		return -1;
	return prop_from(f, skip(f, (uint32_t)node));
}

int fdt_next_prop(const struct fdt *f, int prop)
{
	if (prop < 0 || tok(f, (uint32_t)prop) != T_PROP)
		return -1;
	return prop_from(f, skip(f, (uint32_t)prop));
}

const void *fdt_prop_at(const struct fdt *f, int prop, const char **name, uint32_t *len)
{
	const uint8_t *s = f->blob + f->off_struct;
	uint32_t off = (uint32_t)prop, nameoff;

	if (prop < 0 || tok(f, off) != T_PROP || !skip(f, off))
		return NULL;
	nameoff = fdt_be32(s + off + 8);
	if (nameoff >= f->size_strings ||
	    bounded_len(f->blob + f->off_strings + nameoff, f->size_strings - nameoff) < 0)
		return NULL;
	if (name)
		*name = (const char *)f->blob + f->off_strings + nameoff;
	if (len)
		*len = fdt_be32(s + off + 4);
	return s + off + 12;
}

const void *fdt_prop(const struct fdt *f, int node, const char *name, uint32_t *len)
{
	int p;

	for (p = fdt_first_prop(f, node); p >= 0; p = fdt_next_prop(f, p)) {
		const char *pn;
		const void *v = fdt_prop_at(f, p, &pn, len);

		if (v && strcmp(pn, name) == 0)
			return v;
	}
	return NULL;
}

const char *fdt_prop_str(const struct fdt *f, int node, const char *name)
{
	uint32_t len;
	const char *v = fdt_prop(f, node, name, &len);

	return v && len > 0 && memchr(v, 0, len) == v + len - 1 ? v : NULL;
}

int fdt_prop_u32(const struct fdt *f, int node, const char *name, uint32_t *v)
{
	uint32_t len;
	const void *p = fdt_prop(f, node, name, &len);

	if (!p || len != 4)
		return -1;
	*v = fdt_be32(p);
	return 0;
}

int fdt_strlist_has(const void *list, uint32_t len, const char *s)
{
	const char *p = list, *end = p + len;
	size_t sl = strlen(s);

	while (p < end) {
		const char *z = memchr(p, 0, (size_t)(end - p));

		if (!z)
			return 0;
		if ((size_t)(z - p) == sl && memcmp(p, s, sl) == 0)
			return 1;
		p = z + 1;
	}
	return 0;
}

int fdt_is_compatible(const struct fdt *f, int node, const char *compat)
{
	uint32_t len;
	const void *v = fdt_prop(f, node, "compatible", &len);

	return v && fdt_strlist_has(v, len, compat);
}
