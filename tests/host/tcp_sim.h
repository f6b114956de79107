/*
 * tcp_sim.h - a simulated link and endpoint table for the TCP state
 * machine's host tests (tests/host/test_tcp*.c).
 *
 * Purpose: connections and listeners (rt/net/tcp.h) exchange segments
 * through a link that drops, duplicates, reorders and delays them under a
 * deterministic PRNG (splitmix64), on a simulated clock.  Every segment a
 * connection sends is parsed back by net_tcp_parse (the checksum and form
 * must verify) before it is delivered, so a malformed segment fails the
 * test at once.
 *
 * Data structures: struct sim holds the clock, the in-flight segments (a
 * binary heap by delivery time, then send order; each segment in its own
 * exactly-sized heap block), the endpoints (connections and listeners,
 * found by their 4-tuple or port as the socket layer would) and counters
 * of what the link did.  A test may watch every segment sent (sim.tap)
 * and decide its fate (sim.filter).
 *
 * Context: host only, single-threaded.
 */
#ifndef TALLY_TEST_TCP_SIM_H
#define TALLY_TEST_TCP_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "rt/net/tcp.h"

#define SIM_MAX_EP 64

struct sim_pkt {
	uint64_t t, order;
	uint32_t src, dst;
	size_t len;
	uint8_t *data;
};

struct sim;
/* Called for every segment sent, before the link's dice: return 1 to
 * drop it.  seg is the parsed view. */
typedef int (*sim_filter_fn)(struct sim *s, uint32_t src, uint32_t dst,
                             const struct net_tcp *seg, void *arg);

struct sim {
	uint64_t now;
	uint64_t rng;
	uint32_t loss_ppm, dup_ppm, reorder_ppm;   /* per million segments */
	uint64_t delay, jitter;                    /* one way, microseconds */
	struct sim_pkt *q;
	size_t nq, capq;
	uint64_t order;
	struct tcp_conn *conn[SIM_MAX_EP];
	size_t nconn;
	struct tcp_listener *lis[4];
	size_t nlis;
	sim_filter_fn filter;
	void *filter_arg;
	struct {
		uint64_t sent, lost, duplicated, reordered, delivered, bad_parse, no_endpoint;
		uint64_t filtered;
	} st;
	/* listener connections: conn_new draws from here */
	uint32_t lis_rxcap, lis_txcap;
	uint64_t live, max_live, news, frees;
	struct tcp_ops ops;
};

void sim_init(struct sim *s, uint64_t seed);
void sim_free(struct sim *s);
uint64_t sim_rand(struct sim *s);
/* A connection with its own rings (malloc), registered; free with sim_free. */
struct tcp_conn *sim_conn(struct sim *s, uint32_t rxcap, uint32_t txcap, int nodelay);
void sim_add_listener(struct sim *s, struct tcp_listener *l);
/* Deliver and expire until the clock passes until, or done(arg) says 1
 * (checked after every step); returns 1 if done, 0 if the clock ran out.
 * step (may be NULL) runs after every delivery or expiry: the tests'
 * applications. */
int sim_run(struct sim *s, uint64_t until, int (*done)(struct sim *, void *),
            void (*step)(struct sim *, void *), void *arg);
/* The earliest event (segment or deadline), TCP_NEVER if none. */
uint64_t sim_next(const struct sim *s);

/* FNV-1a, 64 bits: the tests' hash of the byte streams. */
static inline uint64_t sim_fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}
#define SIM_FNV0 0xcbf29ce484222325ull

#endif
