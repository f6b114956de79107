/*
 * arp_cache.c - the ARP cache: lookup, RFC 826's merge, queues of frames
 * waiting for an answer, retries and time-outs (arp_cache.h).
 *
 * Purpose and data structures: see arp_cache.h.  Sixteen entries are
 * searched linearly (a few hosts on a link: the gateway, a DHCP server,
 * some peers); a hash would only pay with hundreds.
 *
 * Replacement: a new entry takes a FREE slot, else the least recently
 * used RESOLVED one (it can be asked for again); PENDING entries are
 * never evicted, so a frame queued is either sent or counted as a time-out.
 * At most ARP_PENDING_MAX entries (half the cache) are PENDING: frames to
 * hosts that never answer (the SYN-ACKs to a SYN flood's spoofed sources
 * on the link) can hold those and no more, so they never push out the
 * RESOLVED entries of hosts that do answer.  Without the cap a flood
 * through a tap (tap_synflood) filled all sixteen with PENDING entries,
 * evicted the real client's entry and left it no slot to be asked for
 * again: its connections waited for the flood to end.
 *
 * Context: pure, the caller serialises; no allocation.
 */
#include <string.h>
#include "rt/net/arp_cache.h"

void arp_cache_init(struct arp_cache *c)
{
	memset(c, 0, sizeof(*c));
}

struct arp_entry *arp_cache_find(struct arp_cache *c, uint32_t ip)
{
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (c->e[i].state != ARP_FREE && c->e[i].ip == ip)
			return &c->e[i];
	return NULL;
}

int arp_cache_lookup(struct arp_cache *c, uint32_t ip, uint64_t now, uint8_t mac[6])
{
	struct arp_entry *e = arp_cache_find(c, ip);
	if (!e || e->state != ARP_RESOLVED)
		return 0;
	if (now >= e->when) {
		e->state = ARP_FREE;
		c->expired++;
		return 0;
	}
	e->used = now;
	memcpy(mac, e->mac, 6);
	return 1;
}

/* A slot for a new entry: FREE, else the least recently used RESOLVED. */
static struct arp_entry *alloc_entry(struct arp_cache *c)
{
	struct arp_entry *victim = NULL;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &c->e[i];
		if (e->state == ARP_FREE)
			return e;
		if (e->state == ARP_RESOLVED && (!victim || e->used < victim->used))
			victim = e;
	}
	if (victim) {
		victim->state = ARP_FREE;
		c->evicted++;
	}
	return victim;
}

struct arp_entry *arp_cache_update(struct arp_cache *c, uint32_t ip, const uint8_t mac[6],
                                   uint64_t now, int create)
{
	struct arp_entry *e = arp_cache_find(c, ip);
	if (!e) {
		if (!create || !(e = alloc_entry(c)))
			return NULL;
		e->ip = ip;
		e->nq = 0;
		e->tries = 0;
	}
	memcpy(e->mac, mac, 6);
	e->state = ARP_RESOLVED;
	e->when = now + ARP_REACHABLE_NS;
	e->used = now;
	return e;
}

int arp_cache_enqueue(struct arp_cache *c, uint32_t ip, const uint8_t *frame, size_t len,
                      uint64_t now)
{
	if (len > ARP_FRAME_MAX)
		return ARP_Q_TOOBIG;
	struct arp_entry *e = arp_cache_find(c, ip);
	int ret = ARP_Q_WAITING;
	if (e && e->state == ARP_RESOLVED)
		e->state = ARP_FREE;  /* expired (lookup said no): ask again */
	if (!e || e->state == ARP_FREE) {
		unsigned pending = 0;
		for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
			pending += c->e[i].state == ARP_PENDING;
		if (pending >= ARP_PENDING_MAX) {
			c->queue_full++;
			return ARP_Q_NOROOM;
		}
		if (!e && !(e = alloc_entry(c))) {
			c->queue_full++;
			return ARP_Q_NOROOM;
		}
		e->ip = ip;
		e->state = ARP_PENDING;
		e->nq = 0;
		e->tries = 1;
		e->when = now + ARP_RETRY_NS;
		e->used = now;
		ret = ARP_Q_REQUEST;
	}
	if (e->nq >= ARP_QUEUE_MAX) {
		c->queue_full++;
		return ARP_Q_FULL;
	}
	memcpy(e->q[e->nq], frame, len);
	e->qlen[e->nq++] = (uint16_t)len;
	c->queued++;
	return ret;
}

uint64_t arp_cache_tick(struct arp_cache *c, uint64_t now,
                        void (*resend)(void *arg, uint32_t ip), void *arg)
{
	uint64_t next = 0;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &c->e[i];
		if (e->state != ARP_PENDING)
			continue;
		if (now >= e->when) {
			if (e->tries >= ARP_TRIES) {
				c->timeouts += e->nq;
				e->nq = 0;
				e->state = ARP_FREE;
				continue;
			}
			e->tries++;
			e->when = now + ARP_RETRY_NS;
			if (resend)
				resend(arg, e->ip);
		}
		if (!next || e->when < next)
			next = e->when;
	}
	return next;
}
