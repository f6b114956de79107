/*
 * tcp_cap.h - a capture of what a TCP connection sends, for the host
 * tests that drive the state machine one segment at a time (test_tcp.c,
 * test_tcp_edge.c).
 *
 * Data structures: struct cap keeps every segment a connection or
 * listener handed to its output callback (bytes, addresses, and the view
 * net_tcp_parse reads back from them: a segment that does not parse fails
 * the test), the events seen, and the connections a listener took and
 * gave back.  cap_ops routes a conf's callbacks here (ctx = the cap).
 *
 * Context: host only.
 */
#ifndef TALLY_TEST_TCP_CAP_H
#define TALLY_TEST_TCP_CAP_H

#include <stdint.h>
#include "rt/net/tcp.h"

#define CAP_MAX 64
struct cap {
	size_t n;
	uint8_t seg[CAP_MAX][TCP_SEG_MAX];
	size_t len[CAP_MAX];
	struct net_tcp v[CAP_MAX];
	uint32_t src[CAP_MAX], dst[CAP_MAX];
	unsigned events;
	int news, frees;
	uint32_t rxcap;            /* of the connections a listener takes */
};

extern const struct tcp_ops cap_ops;
/* A CLOSED connection on cap_ops (rings malloc'd: rxcap, 64 KiB). */
struct tcp_conn *new_conn(struct cap *k, uint32_t rxcap, int nodelay);
void free_conn(struct tcp_conn *c);
/* RFC 7323 2.3: the shift needed to express a buffer in 16 bits. */
unsigned ref_wscale(uint32_t cap);

#endif
