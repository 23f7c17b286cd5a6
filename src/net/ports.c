#define _GNU_SOURCE
/* ports: a reader of the kernel's TCP socket tables that counts the
 * ephemeral ports in use (see ports.h for what and why). Each line of
 * /proc/net/tcp[6] is "sl: LOCAL:PORT REMOTE:PORT ST ...", addresses in hex
 * words; a bitset per local address (and one for all of them) holds the
 * ports of the range seen, a map counts sockets per remote endpoint. */
#include "ports.h"

#include "../kml_map.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCP_LISTEN 0x0A
#define TCP_TIME_WAIT 0x06

typedef struct {
  char name[KML_PORTS_NAME];
  uint8_t *bits;
  int used;
} addr_t;

typedef struct {
  int n;
} dest_t;

struct kml_ports {
  int lo, hi, n; /* range and its size */
  uint8_t *reserved, *any;
  addr_t *addr;
  int n_addr, max_addr, dropped;
  kml_map_t *dest;
  int sockets, time_wait, busiest, used;
  char busiest_name[KML_PORTS_NAME + 8];
};

static int bit_get(const uint8_t *b, int i) { return b[i >> 3] >> (i & 7) & 1; }
static void bit_set(uint8_t *b, int i) {
  b[i >> 3] |= (uint8_t)(1u << (i & 7));
}

int kml_ports_range_parse(const char *text, int *lo, int *hi) {
  char *end;
  long a = strtol(text, &end, 10);
  if (end == text)
    return -1;
  const char *p = end;
  long b = strtol(p, &end, 10);
  if (end == p)
    return -1;
  while (*end == ' ' || *end == '\t' || *end == '\n')
    end++;
  if (*end != '\0' || a < 1 || b > 65535 || a > b)
    return -1;
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

kml_ports_t *kml_ports_new(int lo, int hi, int max_addresses) {
  if (lo < 1 || hi > 65535 || lo > hi || max_addresses < 0)
    return NULL;
  kml_ports_t *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return NULL;
  p->lo = lo;
  p->hi = hi;
  p->n = hi - lo + 1;
  p->max_addr = max_addresses;
  p->reserved = calloc((p->n + 7) / 8, 1);
  p->any = calloc((p->n + 7) / 8, 1);
  p->addr = calloc(max_addresses ? max_addresses : 1, sizeof(addr_t));
  p->dest = kml_map_new(sizeof(dest_t));
  if (!p->reserved || !p->any || !p->addr || !p->dest) {
    kml_ports_destroy(p);
    return NULL;
  }
  return p;
}

void kml_ports_destroy(kml_ports_t *p) {
  if (p == NULL)
    return;
  for (int i = 0; i < p->n_addr; i++)
    free(p->addr[i].bits);
  free(p->addr);
  free(p->reserved);
  free(p->any);
  kml_map_destroy(p->dest);
  free(p);
}

int kml_ports_reserve(kml_ports_t *p, const char *text) {
  /* Check the whole list first: a bad list marks nothing. */
  for (int pass = 0; pass < 2; pass++) {
    const char *s = text;
    while (*s == ' ' || *s == '\t' || *s == '\n')
      s++;
    while (*s != '\0') {
      char *end;
      long a = strtol(s, &end, 10), b;
      if (end == s || a < 0 || a > 65535)
        return -1;
      s = end;
      b = a;
      if (*s == '-') {
        b = strtol(s + 1, &end, 10);
        if (end == s + 1 || b < a || b > 65535)
          return -1;
        s = end;
      }
      if (pass == 1)
        for (long port = a; port <= b; port++)
          if (port >= p->lo && port <= p->hi)
            bit_set(p->reserved, (int)(port - p->lo));
      while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
      if (*s == ',')
        s++;
      else if (*s != '\0')
        return -1;
    }
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* n hex digits at s into *v; 0, or -1. */
static int hex(const char *s, int n, uint32_t *v) {
  uint32_t x = 0;
  for (int i = 0; i < n; i++) {
    int d = hexval(s[i]);
    if (d < 0)
      return -1;
    x = x << 4 | (uint32_t)d;
  }
  *v = x;
  return 0;
}

/* "ADDR:PORT" at *s (ADDR 8 or 32 hex digits) into text and port;
 * advances *s past it. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, a
 * dual-stack socket) is the IPv4 address it maps, *v4 set: it takes its
 * ports from the same 4-tuples as that address's IPv4 sockets. 0, or -1. */
static int endpoint(const char **s, const char *end, int ipv6, char *name,
                    size_t len, int *port, int *v4) {
  int digits = ipv6 ? 32 : 8;
  const char *q = *s;
  if (end - q < digits + 5 || q[digits] != ':')
    return -1;
  unsigned char bytes[16];
  for (int w = 0; w < digits / 8; w++) {
    uint32_t v;
    if (hex(q + 8 * w, 8, &v) != 0)
      return -1;
    memcpy(bytes + 4 * w, &v, 4); /* the kernel prints host-order words */
  }
  uint32_t pv;
  if (hex(q + digits + 1, 4, &pv) != 0)
    return -1;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff};
  *v4 = !ipv6 || memcmp(bytes, mapped, sizeof(mapped)) == 0;
  if (inet_ntop(*v4 ? AF_INET : AF_INET6, ipv6 && *v4 ? bytes + 12 : bytes,
                name, (socklen_t)len) == NULL)
    return -1;
  *port = (int)pv;
  *s = q + digits + 5;
  return 0;
}

static addr_t *address(kml_ports_t *p, const char *name) {
  for (int i = 0; i < p->n_addr; i++)
    if (strcmp(p->addr[i].name, name) == 0)
      return &p->addr[i];
  if (p->n_addr == p->max_addr) {
    p->dropped++;
    return NULL;
  }
  uint8_t *bits = calloc((p->n + 7) / 8, 1);
  if (bits == NULL)
    return NULL;
  addr_t *a = &p->addr[p->n_addr++];
  snprintf(a->name, sizeof(a->name), "%s", name);
  a->bits = bits;
  return a;
}

/* Count one socket. */
static void count(kml_ports_t *p, const char *local, int lport,
                  const char *remote, int rport, int state, int ipv6) {
  if (lport < p->lo || lport > p->hi)
    return;
  int i = lport - p->lo;
  if (bit_get(p->reserved, i))
    return;
  p->sockets++;
  p->time_wait += state == TCP_TIME_WAIT;
  if (!bit_get(p->any, i)) {
    bit_set(p->any, i);
    p->used++;
  }
  addr_t *a = address(p, local);
  if (a != NULL && !bit_get(a->bits, i)) {
    bit_set(a->bits, i);
    a->used++;
  }
  if (state == TCP_LISTEN || rport == 0)
    return; /* no remote end */
  char key[KML_PORTS_NAME + 8];
  snprintf(key, sizeof(key), ipv6 ? "[%s]:%d" : "%s:%d", remote, rport);
  int created;
  dest_t *d = kml_map_get(p->dest, key, 0, &created);
  if (d == NULL)
    return;
  d->n++;
  if (d->n > p->busiest ||
      (d->n == p->busiest && strcmp(key, p->busiest_name) < 0)) {
    p->busiest = d->n;
    snprintf(p->busiest_name, sizeof(p->busiest_name), "%s", key);
  }
}

/* One table line; 0, or -1 when malformed. */
static int line(kml_ports_t *p, const char *s, const char *end, int ipv6) {
  while (s < end && *s == ' ')
    s++;
  const char *colon = memchr(s, ':', (size_t)(end - s));
  if (colon == NULL || colon == s)
    return -1;
  for (const char *q = s; q < colon; q++)
    if (*q < '0' || *q > '9')
      return -1;
  s = colon + 1;
  char local[KML_PORTS_NAME], remote[KML_PORTS_NAME];
  int lport, rport, lv4, rv4;
  uint32_t state;
  if (s >= end || *s++ != ' ' ||
      endpoint(&s, end, ipv6, local, sizeof(local), &lport, &lv4) != 0 ||
      s >= end || *s++ != ' ' ||
      endpoint(&s, end, ipv6, remote, sizeof(remote), &rport, &rv4) != 0 ||
      end - s < 3 || *s++ != ' ' || hex(s, 2, &state) != 0)
    return -1;
  count(p, local, lport, remote, rport, (int)state, !rv4);
  return 0;
}

int kml_ports_scan(kml_ports_t *p, const char *text, size_t len, int ipv6) {
  const char *s = text, *end = text + len;
  const char *nl = memchr(s, '\n', len);
  if (nl == NULL)
    return -1;
  /* the header names its columns */
  size_t hlen = (size_t)(nl - s);
  if (hlen < 13 || memmem(s, hlen, "local_address", 13) == NULL)
    return -1;
  s = nl + 1;
  int n = 0;
  while (s < end) {
    nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    if (e > s && line(p, s, e, ipv6) != 0)
      return -1;
    n += e > s;
    s = nl ? nl + 1 : end;
  }
  return n;
}

void kml_ports_summary(const kml_ports_t *p, kml_ports_summary_t *out) {
  int reserved = 0;
  for (int i = 0; i < p->n; i++)
    reserved += bit_get(p->reserved, i);
  *out = (kml_ports_summary_t){.lo = p->lo,
                               .hi = p->hi,
                               .pool = p->n - reserved,
                               .used = p->used,
                               .sockets = p->sockets,
                               .time_wait = p->time_wait,
                               .busiest = p->busiest,
                               .addresses = p->n_addr,
                               .dropped = p->dropped};
  snprintf(out->busiest_name, sizeof(out->busiest_name), "%s", p->busiest_name);
}

int kml_ports_address(const kml_ports_t *p, int i, const char **name,
                      int *used) {
  if (i < 0 || i >= p->n_addr)
    return -1;
  *name = p->addr[i].name;
  *used = p->addr[i].used;
  return 0;
}
