/*
 * arp_cache.h - the ARP cache (RFC 826) of one interface: IPv4 address
 * to Ethernet address, with time-outs, and a bounded queue of frames per
 * entry waiting for the answer.
 *
 * Purpose: the stack (stack.c) asks arp_cache_lookup before sending an IP
 * packet to a next hop; on a miss it queues the frame here
 * (arp_cache_enqueue) and sends a request when told to; every received
 * ARP packet goes through arp_cache_update (RFC 826's merge: an entry
 * that exists is refreshed by any packet from its address; a new entry is
 * made only when the packet is addressed to us); arp_cache_tick retries
 * unanswered requests and gives up on them.
 *
 * Data structures: a fixed array of entries (no allocation).  An entry is
 * FREE, PENDING (a request was sent, frames may wait in its queue) or
 * RESOLVED (mac valid until `when`).  The queue holds whole Ethernet
 * frames whose destination address is filled in when the answer comes.
 *
 * Invariants:
 *   state FREE      => nq == 0;
 *   state RESOLVED  => nq == 0 (the caller sends and empties the queue
 *                      when update resolves a PENDING entry);
 *   state PENDING   => 0 <= nq <= ARP_QUEUE_MAX, tries >= 1, `when` is
 *                      the time of the next retry;
 *   entries PENDING <= ARP_PENDING_MAX (a new one is refused, NOROOM);
 *   frames in = frames sent + queue_full + timeouts + evicted + queued now.
 *
 * Context: pure (time is an argument): any context; the caller serialises
 * (the stack's lock).  No allocation.
 */
#ifndef TALLY_NET_ARP_CACHE_H
#define TALLY_NET_ARP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define ARP_CACHE_SIZE 16
#define ARP_PENDING_MAX (ARP_CACHE_SIZE / 2)  /* entries PENDING at once */
#define ARP_QUEUE_MAX 4                       /* frames waiting per entry */
#define ARP_FRAME_MAX 1514
#define ARP_REACHABLE_NS (60ull * 1000000000)  /* a resolved entry's life */
#define ARP_RETRY_NS (1000ull * 1000000)       /* between requests */
#define ARP_TRIES 3                           /* requests before giving up */

enum { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
	uint32_t ip;
	uint8_t mac[6];
	uint8_t state, tries, nq;
	uint64_t when;        /* RESOLVED: expiry; PENDING: next retry */
	uint64_t used;        /* last lookup or update: the eviction order */
	uint16_t qlen[ARP_QUEUE_MAX];
	uint8_t q[ARP_QUEUE_MAX][ARP_FRAME_MAX];
};

struct arp_cache {
	struct arp_entry e[ARP_CACHE_SIZE];
	uint64_t queued, queue_full, timeouts, evicted, expired;
};

void arp_cache_init(struct arp_cache *c);
/* 1 with mac filled when ip is RESOLVED and not expired (an expired entry
 * is freed here); else 0. */
int arp_cache_lookup(struct arp_cache *c, uint32_t ip, uint64_t now, uint8_t mac[6]);
/* RFC 826's merge for a received packet from (ip, mac): an existing entry
 * for ip gets mac, becomes RESOLVED until now + ARP_REACHABLE_NS and is
 * returned (a PENDING one with its queue still full: the caller sends the
 * queued frames to mac and sets nq to 0); with create (the packet was for
 * us) a missing entry is made.  NULL when there is none and create is 0,
 * or no entry can be had. */
struct arp_entry *arp_cache_update(struct arp_cache *c, uint32_t ip, const uint8_t mac[6],
                                   uint64_t now, int create);
enum { ARP_Q_REQUEST = 1,  /* queued in a new entry: send a request now */
       ARP_Q_WAITING = 0,  /* queued behind a request already sent */
       ARP_Q_FULL = -1,    /* the entry's queue is full: dropped, counted */
       ARP_Q_NOROOM = -2,  /* every entry is pending: dropped, counted */
       ARP_Q_TOOBIG = -3 };
/* Queue a frame (len <= ARP_FRAME_MAX) for ip, which lookup did not
 * resolve.  A new entry may evict the least recently used RESOLVED one
 * (or FREE first). */
int arp_cache_enqueue(struct arp_cache *c, uint32_t ip, const uint8_t *frame, size_t len,
                      uint64_t now);
/* Every PENDING entry whose retry time passed: after ARP_TRIES requests
 * its frames are dropped (counted in timeouts) and it is freed; else
 * resend(arg, ip) is called and the next retry set.  Returns the earliest
 * retry time left (0: nothing pending). */
uint64_t arp_cache_tick(struct arp_cache *c, uint64_t now,
                        void (*resend)(void *arg, uint32_t ip), void *arg);
/* The entry for ip in any state, or NULL. */
struct arp_entry *arp_cache_find(struct arp_cache *c, uint32_t ip);

#endif
