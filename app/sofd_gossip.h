/* sofd_gossip.h: sofd's gossip role (its own thread, a kernel UDP socket,
 * never a shred lcore).
 *
 * The role joins a cluster's gossip from an entrypoint as an unstaked node:
 * ip-echo to the entrypoint (TCP: this host's public address and the
 * cluster's shred version), then on its UDP socket a signed ContactInfo
 * advertising the gossip socket and the TVU socket (sofd's shred port),
 * pull requests with bloom filters over what it holds (to the entrypoint
 * and to peers that answered a ping), pushes of its own ContactInfo,
 * pongs to pings, prunes honoured, pull requests answered with its own
 * ContactInfo. What it learns goes into a bounded CRDS table
 * (lib/gossip/sof_crds.h); every packet, value and drop is counted.
 *
 * sofd uses it at start: sofd_gossip_wait_join blocks until the shred
 * version is known and the node set has settled, and hands over the
 * ContactInfo identities (the learned-leader candidates). The thread then
 * keeps the membership current while sofd runs. See docs/gossip.md.
 *
 * Threads: start / wait / stop / delete from the main thread; the render
 * functions from any thread (racy 64-bit counter loads, as the pipeline's
 * counter table). */
#ifndef SOFD_GOSSIP_H
#define SOFD_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sofd_gossip_cfg {
  char const *entrypoint;       /* HOST:PORT */
  char const *bind;             /* local address of the gossip socket (default 0.0.0.0) */
  uint16_t    gossip_port;      /* local UDP port, also advertised */
  char const *public_ip;        /* advertised address; NULL: the one ip-echo reports */
  char const *identity;         /* key pair file (64 bytes or a JSON array of 64 numbers); NULL: generated */
  uint16_t    tvu_port;         /* advertised TVU port: sofd's shred port */
  uint32_t    values_max;       /* CRDS records (other than ContactInfo) */
  uint32_t    nodes_max;        /* ContactInfo records = peers */
  uint32_t    pull_interval_ms;
  uint32_t    push_interval_ms;
  uint32_t    value_timeout_ms; /* records not refreshed for this long are purged */
  uint32_t    settle_ms;        /* join: the node set unchanged this long */
  uint32_t    join_timeout_ms;  /* join: give up after */
  uint32_t    leave_grace_ms;   /* a node that left stays a candidate this long */
  uint32_t    votes_queue;      /* gossip votes queued for the dispatch lcore (rounded up to a power of two) */
  int         votes;            /* 1: queue gossip votes (a plugin subscribes to gossip_vote) */
} sofd_gossip_cfg_t;

typedef struct sofd_gossip sofd_gossip_t;

/* sofd_gossip_start resolves the entrypoint, loads or makes the identity,
 * binds the socket and starts the thread (ip-echo first). NULL with a
 * message on stderr on failure. */
sofd_gossip_t *sofd_gossip_start(sofd_gossip_cfg_t const *cfg);

/* sofd_gossip_wait_join waits (at most join_timeout_ms) until the shred
 * version is known and at least one other node's ContactInfo arrived and
 * the set of nodes did not change for settle_ms. Then *shred_version and
 * the identities of the nodes with that shred version (a malloc'd array the
 * caller keeps; *cnt entries) are returned. Returns 0, or -1 with a message
 * (no shred version / no node before the timeout). */
int sofd_gossip_wait_join(sofd_gossip_t *g, uint16_t *shred_version, uint8_t (**ids)[32], uint32_t *cnt);

/* sofd_gossip_stop stops and joins the thread; sofd_gossip_delete frees
 * everything (NULL is fine). */
void sofd_gossip_stop(sofd_gossip_t *g);
void sofd_gossip_delete(sofd_gossip_t *g);

/* Gossip votes (voteSubscribe-like: docs/gossip.md, the gossip_vote hook
 * in lib/plugin/sof_plugin.h). With cfg.votes (from the start: the join's
 * pull responses carry the votes the cluster holds), every CRDS Vote value the table
 * takes as new (inserted, or newer than the one held) and not published
 * before (its hash among the last VOTE_SEEN_SLOTS) goes as an event into
 * a bounded single-producer / single-consumer queue of votes_queue
 * events (full: dropped, counted votes_queue_full). The consumer (one
 * thread: the dispatch lcore) takes the oldest with sofd_gossip_vote_peek
 * (NULL: empty; the event stays valid until the pop) and
 * sofd_gossip_vote_pop. No lock, no allocation, no system call. */
struct sof_ev_gossip_vote;
struct sof_ev_gossip_vote const *sofd_gossip_vote_peek(sofd_gossip_t *g);
void sofd_gossip_vote_pop(sofd_gossip_t *g);

/* sofd_gossip_cands: the learned-leader candidates, kept current while
 * sofd runs (verify/sof_cands.h; give it to the verifiers as
 * cands_pub). The thread publishes the identities of the nodes of the
 * shred version it holds, plus the nodes that left gossip less than
 * leave_grace_ms ago (a leader restarting or missing a few pushes still
 * leads its slots), at most nodes_max; a new set at most once a second,
 * only when it changed (a node of the version joined, changed version, or
 * its grace ran out). Counted: candidates, candidate_publications,
 * candidates_expired, candidates_dropped. Owned by g (valid until
 * sofd_gossip_delete). */
struct sof_cands *sofd_gossip_cands(sofd_gossip_t *g);

/* sofd_gossip_topology_take: node joins and leaves since the last call and
 * the current node count, for cluster_topology events (any one thread).
 * Returns 1 when something changed. */
int sofd_gossip_topology_take(sofd_gossip_t *g, uint32_t *added, uint32_t *removed, uint32_t *total);

/* Renderers: Prometheus text (sof_gossip_* families), the /sof/gossip
 * JSON object, and the summary line. Return bytes written or -1 when buf
 * is too small. */
int sofd_gossip_prometheus(sofd_gossip_t const *g, char *buf, size_t cap);
int sofd_gossip_json(sofd_gossip_t const *g, char *buf, size_t cap);

/* sofd_gossip_telemetry_register: /sof/gossip (after rte_eal_init). */
int sofd_gossip_telemetry_register(sofd_gossip_t *g);

#endif /* SOFD_GOSSIP_H */
