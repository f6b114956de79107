/*
 * httpd.c - an HTTP/1.1 server on Tally's TCP sockets: keep-alive, one
 * goroutine per connection.
 *
 * Paths (GET or HEAD):
 *   /                 a static page (text/html)
 *   /big?bytes=N      N bytes (0 .. 2^31) of deterministic content: byte i
 *                     is (i * 2654435761 mod 2^32) >> 24, so a client can
 *                     compute the same bytes and compare a hash
 *   /stats            JSON: the per-CPU ledger (tally_ledger_read, class
 *                     by class, cycles), every network counter and the
 *                     page allocator's free bytes (mem_free)
 *   /quit             answers, then ends the program once the client
 *                     has closed (tests use it)
 * Anything else is 404; a request that does not parse (request line,
 * header syntax, a header block past 8 KiB, a method other than GET/HEAD,
 * a request body) gets 400 and the connection is closed.  HTTP/1.1
 * connections stay open unless the client sends "Connection: close";
 * HTTP/1.0 ones close after the response.
 *
 * Arguments: port (default 80), backlog (default 128).
 *
 *   make kernel APP=apps/httpd.c OUT=build/x86_64/apps/httpd
 *   python3 tools/tally_qemu.py --boot direct --out build/x86_64/apps/httpd \
 *       --smp 2 --cmdline "-- 80" \
 *       --extra=-netdev --extra=user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80 \
 *       --extra=-device --extra=virtio-net-pci,netdev=n0
 *   curl http://127.0.0.1:8080/stats       (in another shell)
 *
 * Data structures: struct conn, one per connection (its goroutine's),
 * holding the request buffer; a response is built in a buffer and
 * written with tally_tcp_write (which blocks until all of it is queued).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <tally.h>

#define REQ_MAX 8192
#define CHUNK 16384

static struct tally_chan *quit;
static volatile int64_t served, conns_open;

struct conn {
	struct tally_tcp *s;
	char req[REQ_MAX + 1];
	size_t len;
};

static const char page[] =
	"<!doctype html>\n<html><head><title>Tally</title></head>\n"
	"<body><h1>Tally</h1><p>Served by a goroutine on Tally's TCP stack.</p></body></html>\n";

static int put_all(struct tally_tcp *s, const void *p, size_t n)
{
	long r = tally_tcp_write(s, p, n);
	return r == (long)n ? 0 : -1;
}

static int respond(struct tally_tcp *s, int code, const char *type, const char *body,
                   size_t blen, int keep, int head)
{
	const char *why = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request";
	/* Header and a body that fits go out in one write: written apart,
	 * Nagle holds the body until the header is acknowledged, which a
	 * Linux client delays (up to 40 ms a request, seen through a tap). */
	char h[256 + CHUNK];
	int n = snprintf(h, 256,
	                 "HTTP/1.1 %d %s\r\nServer: tally-httpd\r\nContent-Type: %s\r\n"
	                 "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
	                 code, why, type, blen, keep ? "keep-alive" : "close");
	if (n < 0 || n >= 256)
		return -1;
	if (head)
		blen = 0;
	if (blen <= CHUNK) {
		memcpy(h + n, body, blen);
		return put_all(s, h, (size_t)n + blen);
	}
	if (put_all(s, h, (size_t)n) < 0 || put_all(s, body, blen) < 0)
		return -1;
	return 0;
}

static int send_big(struct tally_tcp *s, uint64_t total, int keep, int head)
{
	char h[256];
	int n = snprintf(h, sizeof(h),
	                 "HTTP/1.1 200 OK\r\nServer: tally-httpd\r\n"
	                 "Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n"
	                 "Connection: %s\r\n\r\n",
	                 (unsigned long long)total, keep ? "keep-alive" : "close");
	if (put_all(s, h, (size_t)n) < 0)
		return -1;
	if (head)
		return 0;
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return -1;
	int r = 0;
	for (uint64_t off = 0; off < total && r == 0;) {
		size_t k = total - off < CHUNK ? (size_t)(total - off) : CHUNK;
		for (size_t i = 0; i < k; i++)
			buf[i] = (uint8_t)((uint32_t)((uint32_t)(off + i) * 2654435761u) >> 24);
		r = put_all(s, buf, k);
		off += k;
	}
	free(buf);
	return r;
}

/* Append to a growing buffer (the /stats body). */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0)
			return;
		if (b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		size_t nc = b->cap * 2 + (size_t)k;
		char *np = realloc(b->p, nc);
		if (!np)
			return;
		b->p = np;
		b->cap = nc;
	}
}

static int send_stats(struct tally_tcp *s, int keep, int head)
{
	struct sbuf b = { malloc(4096), 0, 4096 };
	if (!b.p)
		return -1;
	b.p[0] = 0;
	int ncpu = tally_ncpu();
	struct tally_sysinfo si;
	tally_sysinfo(&si);
	sb_printf(&b, "{\"ncpu\":%d,\"served\":%lld,\"conns_open\":%lld,\"mem_free\":%llu,"
	          "\"cpus\":[", ncpu, (long long)tally_atomic_load(&served),
	          (long long)tally_atomic_load(&conns_open), (unsigned long long)si.mem_free);
	for (int c = 0; c < ncpu; c++) {
		struct tally_ledger l;
		if (tally_ledger_read(&l, c) < 0)
			continue;
		sb_printf(&b, "%s{\"cpu\":%d,\"hz\":%llu,\"elapsed\":%llu,\"residue\":%lld,\"classes\":{",
		          c ? "," : "", c, (unsigned long long)l.cycles_hz,
		          (unsigned long long)l.elapsed, (long long)l.residue);
		for (unsigned i = 0; i < l.nclasses; i++)
			sb_printf(&b, "%s\"%s\":%llu", i ? "," : "", l.classes[i].name,
			          (unsigned long long)l.classes[i].cycles);
		sb_printf(&b, "}}");
	}
	struct tally_net_stats ns;
	tally_net_stats(&ns);
	sb_printf(&b, "],\"net\":{");
	for (unsigned i = 0; i < ns.n; i++)
		sb_printf(&b, "%s\"%s\":%llu", i ? "," : "", ns.c[i].name,
		          (unsigned long long)ns.c[i].value);
	sb_printf(&b, "}}\n");
	int r = respond(s, 200, "application/json", b.p, b.n, keep, head);
	free(b.p);
	return r;
}

/* A case-insensitive header name match at p (a line of the header block). */
static int hdr_is(const char *p, const char *name)
{
	size_t n = strlen(name);
	return !strncasecmp(p, name, n) && p[n] == ':';
}

/* One request out of c->req[0 .. end): 1 keep going, 0 close, -1 error. */
static int handle(struct conn *c, size_t end)
{
	char *r = c->req;
	r[end - 2] = 0;  /* ends the last header line's CR LF CR LF */
	char *eol = strstr(r, "\r\n");
	if (eol)
		*eol = 0;
	char method[8], path[1024], ver[16];
	int head = 0;
	if (sscanf(r, "%7s %1023s %15s", method, path, ver) != 3 || path[0] != '/' ||
	    strncmp(ver, "HTTP/1.", 7) || (ver[7] != '0' && ver[7] != '1') || ver[8]) {
		respond(c->s, 400, "text/plain", "bad request\n", 12, 0, 0);
		return 0;
	}
	if (!strcmp(method, "HEAD"))
		head = 1;
	else if (strcmp(method, "GET")) {
		respond(c->s, 400, "text/plain", "only GET and HEAD\n", 18, 0, 0);
		return 0;
	}
	int keep = ver[7] == '1';
	for (char *h = eol ? eol + 2 : NULL; h && *h;) {
		char *e = strstr(h, "\r\n");
		if (e)
			*e = 0;
		if (!strchr(h, ':') || h[0] == ' ' || h[0] == '\t') {
			respond(c->s, 400, "text/plain", "bad header\n", 11, 0, 0);
			return 0;
		}
		if (hdr_is(h, "connection")) {
			const char *v = strchr(h, ':') + 1;
			while (*v == ' ')
				v++;
			if (!strncasecmp(v, "close", 5))
				keep = 0;
			else if (!strncasecmp(v, "keep-alive", 10))
				keep = 1;
		} else if (hdr_is(h, "content-length") || hdr_is(h, "transfer-encoding")) {
			const char *v = strchr(h, ':') + 1;
			if (atoll(v) != 0 || hdr_is(h, "transfer-encoding")) {
				respond(c->s, 400, "text/plain", "no request bodies\n", 18, 0, 0);
				return 0;
			}
		}
		h = e ? e + 2 : NULL;
	}
	int rc;
	if (!strcmp(path, "/")) {
		rc = respond(c->s, 200, "text/html", page, sizeof(page) - 1, keep, head);
	} else if (!strncmp(path, "/big?bytes=", 11)) {
		char *endp;
		unsigned long long n = strtoull(path + 11, &endp, 10);
		if (*endp || endp == path + 11 || n > (1ull << 31)) {
			respond(c->s, 400, "text/plain", "bytes: 0 .. 2147483648\n", 23, 0, 0);
			return 0;
		}
		rc = send_big(c->s, n, keep, head);
	} else if (!strcmp(path, "/stats")) {
		rc = send_stats(c->s, keep, head);
	} else if (!strcmp(path, "/quit")) {
		/* the program ends once the client has the answer: its FIN (it
		 * closes after reading) comes only then, however many
		 * retransmissions a lossy link needed; at most 10 s */
		respond(c->s, 200, "text/plain", "bye\n", 4, 0, head);
		tally_tcp_shutdown(c->s);
		tally_tcp_set_deadlines(c->s, tally_nanotime() + 10000000000ull, 0);
		char sink[256];
		while (tally_tcp_read(c->s, sink, sizeof(sink)) > 0)
			;
		int one = 1;
		tally_chan_trysend(quit, &one);
		return 0;
	} else {
		rc = respond(c->s, 404, "text/plain", "not found\n", 10, keep, head);
	}
	tally_atomic_add(&served, 1);
	return rc < 0 ? -1 : keep;
}

static void serve(void *arg)
{
	struct conn *c = arg;
	for (;;) {
		char *end = NULL;
		while (!(end = c->len >= 4 ? strstr(c->req, "\r\n\r\n") : NULL)) {
			if (c->len == REQ_MAX) {
				respond(c->s, 400, "text/plain", "header too large\n", 17, 0, 0);
				goto out;
			}
			long n = tally_tcp_read(c->s, c->req + c->len, REQ_MAX - c->len);
			if (n <= 0)
				goto out;  /* end of stream or an error: the client is gone */
			if (memchr(c->req + c->len, 0, (size_t)n)) {
				respond(c->s, 400, "text/plain", "NUL in request\n", 15, 0, 0);
				goto out;
			}
			c->len += (size_t)n;
			c->req[c->len] = 0;
		}
		size_t used = (size_t)(end - c->req) + 4;
		int k = handle(c, used);
		if (k <= 0)
			break;
		memmove(c->req, c->req + used, c->len - used);
		c->len -= used;
		c->req[c->len] = 0;
	}
out:
	tally_tcp_close(c->s);
	tally_atomic_add(&conns_open, -1);
	free(c);
}

struct acceptor {
	struct tally_tcp *l;
};

static void accept_loop(void *arg)
{
	struct acceptor *a = arg;
	for (;;) {
		struct tally_tcp *s;
		int r = tally_tcp_accept(a->l, &s);
		if (r == TALLY_ECLOSED)
			return;
		if (r < 0) {
			printf("httpd: accept: %s\n", tally_strerror(r));
			continue;
		}
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			tally_tcp_close(s);
			continue;
		}
		c->s = s;
		c->len = 0;
		c->req[0] = 0;
		tally_atomic_add(&conns_open, 1);
		tally_go(serve, c);
	}
}

int main(int argc, char **argv)
{
	unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 80;
	int backlog = argc > 2 ? atoi(argv[2]) : 128;
	if (port == 0 || port > 65535) {
		printf("httpd: port must be 1..65535, not %s\n", argv[1]);
		return 2;
	}
	int r = tally_net_up(20000000000ull);
	if (r < 0) {
		printf("httpd: no address: %s\n", tally_strerror(r));
		return 1;
	}
	struct acceptor a;
	r = tally_tcp_listen(&a.l, (uint16_t)port, backlog);
	if (r < 0) {
		printf("httpd: listen on port %u: %s\n", port, tally_strerror(r));
		return 1;
	}
	struct tally_net_info ni;
	tally_net_info(&ni);
	quit = tally_chan_make(sizeof(int), 1);
	printf("httpd: listening on %u.%u.%u.%u port %u (netpoll %s)\n", ni.ip >> 24,
	       (ni.ip >> 16) & 255, (ni.ip >> 8) & 255, ni.ip & 255, port, ni.netpoll);
	tally_go(accept_loop, &a);
	int one;
	tally_chan_recv(quit, &one);
	tally_sleep(100000000);  /* 100 ms: the last ACKs leave */
	struct tally_net_stats ns;
	tally_net_stats(&ns);
	printf("httpd: served %lld requests\n", (long long)tally_atomic_load(&served));
	printf("httpd: stats");
	for (unsigned i = 0; i < ns.n; i++)
		if (ns.c[i].value)
			printf(" %s=%llu", ns.c[i].name, (unsigned long long)ns.c[i].value);
	printf("\n");
	return 0;
}
