/* sofd_plugins.c: the plugin lane workers ([topology] plugins: one
 * instance per lcore listed), each polled by its lcore (and, on an lcore
 * that also runs rx, once more right after rx).
 *
 * With n workers, worker i polls the plugin host's lanes l with
 * l % n == i (sofd_plugins_inst_t), so every lane has exactly one worker and
 * a lane's callbacks run in order on one lcore (sof_host_lane_poll's
 * contract). A plugin's callback runs here: its cost is this lcore's. */
#include "sofd_pipe_int.h"

unsigned
sofd_plugins_poll(sofd_pipe_t *p, sofd_plugins_inst_t *w) {
  unsigned n = 0;
  for (unsigned l = w->idx; l < SOF_HOST_LANE_CNT; l += w->cnt) n += sof_host_lane_poll(p->host, (int)l, 64);
  w->act.processed += n;
  return n;
}
