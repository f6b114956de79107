/*
 * tcp_cap.c - the capture of tcp_cap.h.
 *
 * Context: host only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/tcp_cap.h"

static void cap_output(void *ctx, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	struct cap *k = ctx;
	assert_true(k->n < CAP_MAX);
	assert_true(len <= TCP_SEG_MAX);
	memcpy(k->seg[k->n], seg, len);
	k->len[k->n] = len;
	k->src[k->n] = src;
	k->dst[k->n] = dst;
	assert_int_equal(net_tcp_parse(k->seg[k->n], len, src, dst, &k->v[k->n]), NET_OK);
	k->n++;
}

static void cap_event(void *ctx, struct tcp_conn *c, unsigned ev)
{
	struct cap *k = ctx;
	(void)c;
	k->events |= ev;
}

static struct tcp_conn *cap_conn_new(void *ctx, struct tcp_listener *l)
{
	struct cap *k = ctx;
	(void)l;
	k->news++;
	return new_conn(k, k->rxcap, 0);
}

void free_conn(struct tcp_conn *c)
{
	free(c->rcv.buf);
	free(c->snd.buf);
	free(c);
}

static void cap_conn_free(void *ctx, struct tcp_conn *c)
{
	struct cap *k = ctx;
	k->frees++;
	free_conn(c);
}

const struct tcp_ops cap_ops = {
	.output = cap_output, .event = cap_event,
	.conn_new = cap_conn_new, .conn_free = cap_conn_free,
};

struct tcp_conn *new_conn(struct cap *k, uint32_t rxcap, int nodelay)
{
	struct tcp_conn *c = malloc(sizeof *c);
	struct tcp_conf cf = {.rxbuf = malloc(rxcap), .txbuf = malloc(65536), .rxcap = rxcap,
	                      .txcap = 65536, .nodelay = (uint8_t)nodelay, .ops = &cap_ops,
	                      .ctx = k};
	assert_non_null(c);
	assert_int_equal(tcp_conn_init(c, &cf), TCP_OK);
	return c;
}

unsigned ref_wscale(uint32_t cap)
{
	unsigned s = 0;
	while (s < 14 && cap / (1u << s) > 65535)
		s++;
	return s;
}

