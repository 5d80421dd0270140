/* mhd_attack.c: does libmicrohttpd (Debian 12: 0.9.75) hold the two attacks
 * of issue #17 that lib/net/sof_http.c is tested against (tests/net/test_http.c)?
 * Evidence for docs/security.md; not built by meson (no libmicrohttpd
 * dependency in the project). Build and run by hand:
 *   apt-get install libmicrohttpd-dev
 *   cc -O1 -pthread -o mhd_attack bench/net/mhd_attack.c -lmicrohttpd && ./mhd_attack
 * A: CONNECTION_LIMIT 8, CONNECTION_TIMEOUT 2 s; 8 clients (another thread)
 *    send one byte of a never-ending head every 1 s (then every 0.5 s); a
 *    normal GET at t = 3 s; which slow clients are still connected at 10 s.
 * B: CONNECTION_LIMIT 256, CONNECTION_TIMEOUT 5 s, backlog 4096; 1,200 idle
 *    connections, then a normal GET (4 s to answer). Ports 18081, 18091, 18082. */
#include <microhttpd.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static enum MHD_Result
ah(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *ver,
   const char *up, size_t *ups, void **cc) {
  (void)cls; (void)url; (void)method; (void)ver; (void)up; (void)ups; (void)cc;
  static char body[] = "sof_x 42\n";
  struct MHD_Response *r = MHD_create_response_from_buffer(sizeof body - 1, body, MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ret;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int conn(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (void *)&sa, sizeof sa)) { close(fd); return -1; }
  return fd;
}
/* a normal GET; prints what the client sees within 4 s */
static void get(int port, char const *tag) {
  double t0 = now();
  int fd = conn(port);
  if (fd < 0) { printf("%s: connect failed: %s\n", tag, strerror(errno)); return; }
  char const *rq = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  send(fd, rq, strlen(rq), MSG_NOSIGNAL);
  char buf[4096]; size_t n = 0; char const *how = "timeout (4 s, no response)";
  struct pollfd pf = {.fd = fd, .events = POLLIN};
  while (now() - t0 < 4) {
    if (poll(&pf, 1, 100) <= 0) continue;
    ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
    if (r > 0) { n += r; continue; }
    how = r == 0 ? "EOF" : strerror(errno);
    break;
  }
  buf[n] = 0;
  char *e = strchr(buf, '\r'); if (e) *e = 0;
  printf("%s: after %.2f s: %zu bytes (\"%s\"), then %s\n", tag, now() - t0, n, buf, how);
  close(fd);
}

typedef struct { int port; unsigned gap_ms; int alive; int k; double closed_at[8]; } slow_arg_t;
static void *slow_main(void *arg) {
  slow_arg_t *sa = arg;
  int s[8];
  for (int i = 0; i < 8; i++) { s[i] = conn(sa->port); sa->closed_at[i] = -1; }
  char const *slow = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  double t0 = now();
  while (now() - t0 < 10) {
    for (int i = 0; i < 8; i++) if (s[i] >= 0) {
      char tmp[256];
      ssize_t r = recv(s[i], tmp, sizeof tmp, MSG_DONTWAIT);
      if (r >= 0 || errno != EAGAIN) { sa->closed_at[i] = now() - t0; close(s[i]); s[i] = -1; continue; }
      send(s[i], slow + sa->k, 1, MSG_NOSIGNAL);
    }
    sa->k++;
    usleep(sa->gap_ms * 1000);
  }
  sa->alive = 0;
  for (int i = 0; i < 8; i++) if (s[i] >= 0) { sa->alive++; close(s[i]); }
  return NULL;
}
int main(void) {
  struct rlimit rl = {4096, 4096}; setrlimit(RLIMIT_NOFILE, &rl);
  printf("libmicrohttpd %s\n", MHD_get_version());
  /* A */
  for (int round = 0; round < 2; round++) {
  unsigned gap_ms = round ? 500 : 1000;
  int port = 18081 + 10 * round;
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, port, NULL, NULL, ah, NULL,
      MHD_OPTION_CONNECTION_LIMIT, 8u, MHD_OPTION_CONNECTION_TIMEOUT, 2u, MHD_OPTION_END);
  if (!d) { printf("start failed\n"); return 1; }
  slow_arg_t sa = {.port = port, .gap_ms = gap_ms};
  pthread_t th;
  pthread_create(&th, NULL, slow_main, &sa);
  usleep(3000 * 1000);
  char tag[200]; snprintf(tag, sizeof tag, "A: GET /metrics at t=3 s while 8 slow clients (1 byte per %u ms, from another thread) hold CONNECTION_LIMIT 8, TIMEOUT 2 s", gap_ms);
  get(port, tag);
  pthread_join(th, NULL);
  printf("A: gap %u ms: slow clients still connected after 10 s (timeout 2 s): %d of 8; closed at:", gap_ms, sa.alive);
  for (int i = 0; i < 8; i++) printf(" %.1f", sa.closed_at[i]);
  printf(" s (-1: never); %d bytes sent each\n", sa.k);
  MHD_stop_daemon(d);
  }
  struct MHD_Daemon *d;
  /* B */
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 18082, NULL, NULL, ah, NULL,
      MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u, MHD_OPTION_END);
  static int idle[1200];
  int ok = 0;
  for (int i = 0; i < 1200; i++) if ((idle[i] = conn(18082)) >= 0) ok++;
  printf("B: %d of 1200 idle connections established (CONNECTION_LIMIT 256)\n", ok);
  usleep(200 * 1000);
  get(18082, "B: GET /metrics after 1200 idle connections");
  for (int i = 0; i < 1200; i++) if (idle[i] >= 0) close(idle[i]);
  MHD_stop_daemon(d);
  return 0;
}
