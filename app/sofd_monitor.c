/* sofd_monitor.c: the monitor, run on the main lcore by its lcore loop
 * (sofd_pipe.c) about once per millisecond, between its role polls.
 *
 * It turns a signal (*p->quit_signal) or [run] idle_exit_ms without RX
 * into the stop: p->stop_rx (the rx polls stop receiving), then waits
 * until every ring, stash and plugin lane is empty and nothing moved for
 * three checks, or [run] drain_ms passed (p->drain_timed_out), and sets
 * p->quit (every lcore loop returns). It also prints the stats line every
 * [run] stats_ms and calls the tick (Prometheus endpoint).
 *
 * Contract: main lcore only; reads the role instances' counters and ring
 * depths racily (a drain needs three quiet checks in a row). */
#include "sofd_pipe_int.h"

#include <signal.h>

#include <rte_ring.h>

static uint64_t
total_processed(sofd_pipe_t const *p) {
  uint64_t n = 0;
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) n += p->fec[i].act.processed;
  n += p->extract[0].act.processed + p->dispatch[0].act.processed;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_PLUGINS]; i++) n += p->plugins[i].act.processed;
  return n;
}

static int
pipeline_empty(sofd_pipe_t const *p) {
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
    if (rte_ring_count(p->rx_fec[i]) || p->fec[i].out.stash_n) return 0;
  }
  if (rte_ring_count(p->fec_extract) || p->extract[0].out.stash_n) return 0;
  if (rte_ring_count(p->extract_dispatch)) return 0;
  if (p->prov_ring && rte_ring_count(p->prov_ring)) return 0;
  if (p->events && rte_ring_count(p->events)) return 0;
  return sof_host_lanes_empty(p->host);
}

/* 1 when every rx instance has itself polled its queue empty at least
 * `span` cycles after the last packet any of them received (or the start).
 * Judged from the rx lcores' own polls, not from this lcore's clock: an rx
 * lcore that the OS has descheduled has not seen its input run dry, and a
 * replay stopped then would leave the rest of its input unread. With a
 * provider, it must also have delivered nothing for span (with driver
 * provider that alone decides: no rx runs). */
static int
rx_idle_for(sofd_pipe_t const *p, uint64_t span, uint64_t now) {
  /* the provider's client thread (driver provider, joined mode): idle when
   * it has delivered nothing for span, on this lcore's clock */
  if (p->prov) {
    uint64_t pl = sofd_provider_last_tsc(p->prov);
    if (pl < p->start_tsc) pl = p->start_tsc;
    if (pl >= now || now - pl < span) return 0;
    if (p->cfg->driver == SOFD_DRIVER_PROVIDER) return 1; /* no rx runs */
  }
  /* a paced preload with frames still held back (preload_delay_ms, or a
   * rate below what idle_exit_ms allows) has more input coming */
  if (p->preload.pps && sof_preload_unreleased(&p->preload)) return 0;
  unsigned const n = p->cfg->role_cnt[SOFD_ROLE_RX];
  uint64_t lr = p->start_tsc;
  for (unsigned i = 0; i < n; i++)
    if (p->rx[i].last_rx_tsc > lr) lr = p->rx[i].last_rx_tsc;
  for (unsigned i = 0; i < n; i++) {
    uint64_t e = p->rx[i].last_empty_tsc;
    /* a burst stamped after this poll's empty one, on another lcore */
    if (e < lr || e - lr < span) return 0;
  }
  return 1;
}

void
sofd_monitor_check(sofd_pipe_t *p, sofd_monitor_t *mo, uint64_t now) {
  sofd_cfg_t const *c = p->cfg;
  mo->next_check = now + p->hz / 1000; /* every ms */
  if (!p->stop_rx) {
    char const *why = NULL;
    if (*p->quit_signal) why = *p->quit_signal == SIGINT ? "sigint" : "sigterm";
    else if (c->idle_exit_ms && rx_idle_for(p, c->idle_exit_ms * (p->hz / 1000), now)) why = "idle";
    if (why) {
      p->stop = why;
      p->stop_rx = 1;
      sofd_provider_stop(p->prov); /* provider: no more input (joins its thread) */
      p->stop_tsc = now;
      mo->drain_deadline = now + c->drain_ms * (p->hz / 1000);
      mo->quiet = 0;
      mo->last_processed = total_processed(p);
    }
  } else {
    uint64_t tp = total_processed(p);
    if (pipeline_empty(p) && tp == mo->last_processed) mo->quiet++;
    else mo->quiet = 0;
    mo->last_processed = tp;
    if (mo->quiet >= 3) p->quit = 1;
    else if (now >= mo->drain_deadline) {
      p->drain_timed_out = 1;
      p->quit = 1;
    }
  }
  if (c->stats_ms && now >= mo->next_stats) {
    sofd_stats_line(p, (double)(now - mo->stats_at) / (double)p->hz);
    mo->stats_at = now;
    mo->next_stats = now + c->stats_ms * (p->hz / 1000);
  }
  if (p->tick) p->tick(p->tick_ctx);
}
