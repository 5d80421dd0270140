/* sofd_leaders.h: where sofd's leader schedules come from while it runs.
 *
 * Sources (docs/deploy.md, "Where the leader schedule comes from"):
 *  - files: [verify] leader_schedule = FILE[@FIRST_SLOT][,FILE[@FIRST_SLOT]...]
 *    one getLeaderSchedule JSON per epoch, each placed at its first slot
 *    (no @: [verify] epoch_first_slot). Loaded before the pipeline starts
 *    (a bad file stops sofd there; a missing one is an error when it is the
 *    only one, else watched until it appears); re-read on SIGHUP and when a
 *    file's mtime, size or inode changes (polled once a second). A file that
 *    no longer loads keeps its previous schedule (logged, counted).
 *  - RPC: [verify] rpc_url = URL: getEpochSchedule, getEpochInfo and
 *    getLeaderSchedule for the previous (best effort), current and next
 *    epoch, the next one fetched as soon as it is known (an epoch ahead);
 *    retried with exponential backoff (250 ms .. 30 s); an outage never
 *    stops the data path.
 * Epochs the tip is more than [verify] epoch_keep_slots (1024) slots past
 * are dropped (and not fetched again).
 *
 * Everything here runs on one control thread (never an lcore): it is the
 * epoch table's only writer (sof_leaders.h: publication contract); the
 * lcores read the published epochs without locks. It also warns, at most
 * once per 10 s, when shreds arrived for slots without a known leader. */
#ifndef SOFD_LEADERS_H
#define SOFD_LEADERS_H

#include <stdint.h>

#include "sofd_opts.h"
#include "sofd_pipe.h"
#include "verify/sof_leaders.h"


struct rte_tel_data;
typedef struct sofd_leaders_ctl sofd_leaders_ctl_t;

/* sofd_leaders_ctl_new loads the schedule files into l's epochs (main
 * thread, before the pipeline). Returns the controller, or NULL with a
 * message naming the file on stderr. cfg->leader_schedule_slots counts the
 * slots the files name. */
sofd_leaders_ctl_t *sofd_leaders_ctl_new(sofd_cfg_t *cfg, sof_leaders_t *l);

/* sofd_leaders_ctl_scratch: a new plain table holding every loaded
 * schedule file's slots (startup: a --leader-list is validated against it).
 * NULL when out of memory. */
sof_leaders_t *sofd_leaders_ctl_scratch(sofd_leaders_ctl_t *c);

/* sofd_leaders_ctl_shred_version: [verify] shred_version = auto, at
 * start (main thread, before the pipeline): getClusterNodes over the RPC,
 * retried with backoff for up to 30 s; the version most nodes carry. 0, or
 * -1 with a message (sofd does not start without it). */
int sofd_leaders_ctl_shred_version(sofd_leaders_ctl_t *c, uint16_t *version);

/* sofd_leaders_ctl_candidates: learned leaders without a candidates file,
 * at start (main thread): getClusterNodes over the RPC, retried with
 * backoff for up to 30 s; every node's identity into *keys (a new array,
 * kept by the caller until exit). 0, or -1 with a message. */
int sofd_leaders_ctl_candidates(sofd_leaders_ctl_t *c, uint8_t (**keys)[32], uint32_t *cnt);

/* sofd_leaders_ctl_start starts the control thread (pipe: the tip and the
 * unknown-leader counters; its counters join pipe's table). 0 or -1. */
int sofd_leaders_ctl_start(sofd_leaders_ctl_t *c, sofd_pipe_t *pipe);

/* sofd_leaders_ctl_stop joins the thread (an RPC call under way is
 * aborted). sofd_leaders_ctl_delete frees the controller (after stop). */
void sofd_leaders_ctl_stop(sofd_leaders_ctl_t *c);
void sofd_leaders_ctl_delete(sofd_leaders_ctl_t *c);

/* sofd_leaders_hup: async-signal-safe; the control thread re-reads every
 * schedule file at its next turn (within 100 ms). */
void sofd_leaders_hup(void);

/* sofd_leaders_tel fills d (a dict) for /sof/leaders: epochs, sources,
 * counters, the last error. Any thread. */
int sofd_leaders_tel(sofd_leaders_ctl_t *c, struct rte_tel_data *d);

#endif /* SOFD_LEADERS_H */
