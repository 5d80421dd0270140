/* sofd_opts.h: sofd's configuration: one table of keys, read from an INI
 * file (--config, read by sof_ini: strict lines, no duplicates, errors as
 * FILE:LINE) and overridden by flags (every key has one), converted once
 * into a typed sofd_cfg_t and validated before anything starts: numbers
 * are decimal (sof_num), keys only another input driver reads are refused.
 * A bad value is reported with the key, its flag and where it was set.
 *
 * Setup only (main thread, before and just after rte_eal_init). */
#ifndef SOFD_OPTS_H
#define SOFD_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "provider/sof_provider_grpc.h"
#include "state/sof_slotwin.h"
#include "verify/sof_verify.h"
#include "sofd_gossip.h"

#define SOFD_LCORES_MAX    64U
#define SOFD_INSTANCES_MAX 16U  /* instances of one role */
#define SOFD_UDP_PORTS_MAX 8U
#define SOFD_PLUGIN_OPTS_MAX 256U
#define SOFD_SOURCES_MAX   64U  /* named race sources ([source.NAME]) */

/* Roles. */
#define SOFD_ROLE_LIST(X)              \
  X(RX,       0, "rx")                 \
  X(FEC,      1, "fec")                \
  X(EXTRACT,  2, "extract")            \
  X(DISPATCH, 3, "dispatch")           \
  X(PLUGINS,  4, "plugins")

enum {
#define SOFD_ROLE_ENUM_(name, val, str) SOFD_ROLE_##name = (val),
  SOFD_ROLE_LIST(SOFD_ROLE_ENUM_)
#undef SOFD_ROLE_ENUM_
  SOFD_ROLE_CNT = 5
};

/* Rings between roles (one per fec shard for RX_FEC). */
#define SOFD_RING_LIST(X)                                        \
  X(RX_FEC,           0, "rx_fec",           4096, 0)            \
  X(FEC_EXTRACT,      1, "fec_extract",      1024, 1)            \
  X(EXTRACT_DISPATCH, 2, "extract_dispatch", 1024, 1)            \
  X(EVENTS,           3, "events",           4096, 0)

enum {
#define SOFD_RING_ENUM_(name, val, str, size, block) SOFD_RING_##name = (val),
  SOFD_RING_LIST(SOFD_RING_ENUM_)
#undef SOFD_RING_ENUM_
  SOFD_RING_CNT = 4
};

/* Ring producer / consumer modes. */
#define SOFD_RING_MODE_AUTO  0 /* from the instance counts of the two roles */
#define SOFD_RING_MODE_SP_SC 1
#define SOFD_RING_MODE_MP_SC 2
#define SOFD_RING_MODE_SP_MC 3
#define SOFD_RING_MODE_MP_MC 4

typedef struct sofd_ring_cfg {
  uint32_t size;   /* entries, power of two */
  int      block;  /* on full: 1 the producer holds its output and stops taking input
                      until there is room (backpressure), 0 drop the new entry (counted) */
  int      mode;   /* SOFD_RING_MODE_* */
} sofd_ring_cfg_t;

#define SOFD_DRIVER_ETHDEV 0
#define SOFD_DRIVER_UDP    1
#define SOFD_DRIVER_PRELOAD 2 /* a pcap preloaded into a net_ring port (an ethdev) */
#define SOFD_DRIVER_PROVIDER 3 /* no shreds: a Yellowstone gRPC provider (sofd_provider.h) */

enum { SOFD_EXC_NONE = 0, SOFD_EXC_TAP = 1 }; /* [input] exception */

typedef struct sofd_cfg {
  /* input */
  int      driver;
  uint16_t port_id;
  uint16_t rx_desc;
  uint32_t mbufs;
  uint32_t burst;
  uint32_t verify_warm_lines; /* [verify] warm_lines: table lines read per idle rx poll */
  uint16_t udp_ports[SOFD_UDP_PORTS_MAX]; /* destination ports accepted; none: any */
  uint32_t udp_port_cnt;
  char const *udp_bind;    /* udp driver: address */
  uint16_t udp_listen;     /* udp driver: port */
  char const *preload;     /* preload driver: the pcap file */
  int      preload_deal;   /* SOF_PRELOAD_DEAL_* */
  uint64_t preload_rate;   /* preload driver: frames/s released (sof_preload_pace); 0 all at once */
  uint64_t preload_delay_ms; /* ... the first one after this long */
  uint32_t udp_rcvbuf;
  char const *address;     /* [input] address (ethdev): NULL: none, no TX */
  uint32_t address_ip;     /* host byte order */
  uint8_t  address_prefix;
  uint32_t icmp_rate;      /* [input] icmp_rate: echo replies per second */
  int      exception;      /* [input] exception: SOFD_EXC_NONE (sofd answers ARP / ICMP) or
                              SOFD_EXC_TAP (non-shred frames to the kernel, app/sofd_exc.h) */
  char const *exception_iface; /* [input] exception_iface: the tap's kernel interface */
  sof_pgrpc_cfg_t provider;     /* [provider] (provider driver) */
  uint64_t provider_pool_bytes; /* [provider] pool_mb */
  uint64_t provider_join_entries; /* [provider] join_entries (joined mode) */
  int      provider_slot_status;  /* [provider] slot_status = provider: confirmed / finalized from it */
  int      provider_on;         /* provider driver, or joined mode ([provider] url with a shred driver) */
  /* verification */
  char const *leader, *leader_schedule, *leader_list;
  int      learn_leaders;        /* [verify] learn_leaders */
  char const *leader_candidates; /* [verify] leader_candidates: read by main into verify.candidates */
  char const *rpc_url;     /* [verify] rpc_url: JSON-RPC leader schedules, NULL: off */
  uint64_t epoch_keep_slots;  /* [verify] epoch_keep_slots: an epoch stays this long past its last slot */
  int      shred_version_auto; /* [verify] shred_version = auto: set by main from getClusterNodes */
  int      shred_version_gossip; /* the shred version: set by main from gossip ([gossip] entrypoint) */
  sofd_gossip_cfg_t gossip; /* [gossip]: entrypoint NULL: no gossip role */
  int      gossip_tap;      /* the gossip role rides [input] exception = tap: it starts once the port
                               and the tap are up, bound to [input] address (sofd.c, docs/gossip.md) */
  uint64_t epoch_first_slot;
  uint64_t leader_schedule_slots; /* slots the loaded schedule / list names (set by main) */
  sof_verify_cfg_t verify;
  sof_slotwin_cfg_t window; /* [window]: slot admission (rx) and protection (fec tables) */
  /* state bounds */
  uint32_t dedupe_capacity;
  uint64_t dedupe_ttl_ms;
  uint64_t dedupe_slot_window;
  int      dedupe;
  /* [race]: feed race analytics (sofd_race.c) */
  int      race;
  uint32_t race_sources, race_leaders;
  struct sof_race_named const *race_named; /* [source.NAME] addr, race_named_cnt of them */
  unsigned race_named_cnt;
  uint32_t fec_set_records, fec_set_buffers, reasm_slots, reasm_chunks;
  uint64_t arena_bytes;    /* per fec shard: datasets in flight */
  uint32_t forks_window, confirmed_depth, finalized_depth;
  /* host */
  uint32_t lane_depth[4];
  uint32_t commit_wait_max;
  int      hold_waiting;   /* commitment wait entries reference dataset blocks (no copy) */
  uint32_t batch_slots, batch_bytes;
  /* run */
  uint64_t idle_exit_ms, stats_ms, drain_ms;
  char const *prometheus;  /* host:port, NULL: off */
  uint32_t prometheus_clients, prometheus_request_timeout_ms; /* [prometheus] */
  int      telemetry;
  int      mlock;
  int      pdump;          /* [run] pdump: rte_pdump_init after EAL init */
  char const *plugins;     /* names to register, "all" or "none" */
  /* topology: lcore ids of each role's instances */
  unsigned role_lcores[SOFD_ROLE_CNT][SOFD_INSTANCES_MAX];
  unsigned role_cnt[SOFD_ROLE_CNT];
  sofd_ring_cfg_t ring[SOFD_RING_CNT];
  /* plugins' sections: "name.key" = value pairs */
  char const *plugin_key[SOFD_PLUGIN_OPTS_MAX];   /* "txlog.path" */
  char const *plugin_val[SOFD_PLUGIN_OPTS_MAX];
  unsigned    plugin_opt_cnt;
} sofd_cfg_t;

/* sofd_opts_parse reads the app arguments (argv[0] is the program name;
 * the ones after "--"): --config FILE first, then every flag. Fills the raw
 * values; sofd_opts_resolve converts them. Returns 0, 1 when --help was
 * printed (exit 0), -1 with a message on stderr. */
int sofd_opts_parse(int argc, char **argv);

/* sofd_opts_resolve converts the raw values into cfg and validates them
 * (all but the topology; before rte_eal_init, so that a bad value needs no
 * EAL). Returns 0, or -1 with a message on stderr naming the key and its
 * flag. The strings in cfg live until the program exits. */
int sofd_opts_resolve(sofd_cfg_t *cfg);

/* sofd_opts_resolve_topology resolves [topology] and the [ring.*] sections
 * against the EAL's lcores (after rte_eal_init: every lcore id must be
 * enabled). Returns 0 or -1 with a message naming the entry. */
int sofd_opts_resolve_topology(sofd_cfg_t *cfg);

/* sofd_opts_check_ports refuses EAL device options the input driver would
 * ignore (after rte_eal_init, before sofd makes any port): with the udp or
 * preload driver, any ethdev port the EAL probed (--vdev, -a, a PCI device)
 * is an error naming the ports. Returns 0 or -1 with a message. */
int sofd_opts_check_ports(sofd_cfg_t const *cfg);

/* sofd_opts_usage prints --help. */
void sofd_opts_usage(void);

/* sofd_opts_dump prints the effective configuration as INI (--print-config). */
int sofd_opts_print_requested(void);
void sofd_opts_dump(void);

/* sofd_opts_free releases the strings read from the config file (at exit:
 * every string in a sofd_cfg_t dies with them). */
void sofd_opts_free(void);

char const *sofd_role_str(int role);
char const *sofd_ring_str(int ring);

#endif /* SOFD_OPTS_H */
