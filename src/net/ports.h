/* ports: ephemeral ports in use, from the kernel's socket tables.
 *
 * Every outgoing TCP connection takes a local port from
 * net.ipv4.ip_local_port_range (which serves IPv6 too), minus
 * net.ipv4.ip_local_reserved_ports. Clients with thousands of connections
 * (or of sockets in TIME_WAIT) run out of them while everything else
 * looks fine; connect() then fails with EADDRNOTAVAIL. This reader counts,
 * from the text of /proc/net/tcp and /proc/net/tcp6 (given as bytes, so
 * that captured files can be tested):
 *   - per local address, the distinct ports of the range bound on it;
 *   - over all addresses, the distinct ports of the range in use;
 *   - per remote endpoint (address and port), the sockets whose local port
 *     is in the range, and the busiest endpoint: connect() exhausts the
 *     range per destination, since a local port may serve several;
 *   - sockets in TIME_WAIT holding a port of the range.
 * Every state counts, listeners included: a port bound by anyone is not
 * handed out. Addresses are decoded as the kernel prints them (32-bit
 * words in the host's byte order), so files are read on the architecture
 * that wrote them.
 *
 * One tally per scan (one owner, not thread-safe); parsing is pure. */
#ifndef KML_NET_PORTS_H
#define KML_NET_PORTS_H

#include <stddef.h>

#define KML_PORTS_NAME 48 /* longest address text, with room */

typedef struct kml_ports kml_ports_t;

/* Parse ip_local_port_range ("32768\t60999\n") into *lo, *hi: 0, or -1
 * when it is not two ports with lo <= hi. Pure. */
int kml_ports_range_parse(const char *text, int *lo, int *hi);

/* A tally for ports lo..hi (1..65535), keeping per-address counts for at
 * most max_addresses addresses (the others are counted in the total only).
 * NULL when out of memory or the range is invalid. */
kml_ports_t *kml_ports_new(int lo, int hi, int max_addresses);
void kml_ports_destroy(kml_ports_t *p);

/* Mark the ports of ip_local_reserved_ports text ("8080,9000-9100\n", may
 * be empty) as reserved: they are not in the pool and not counted as used.
 * 0, or -1 when the text is not such a list (nothing is marked then). */
int kml_ports_reserve(kml_ports_t *p, const char *text);

/* Count the sockets of one /proc/net/tcp (ipv6 = 0) or /proc/net/tcp6
 * (ipv6 = 1) text of len bytes. Returns the sockets read, or -1 when the
 * text is not such a table (header or a line malformed: nothing of a
 * malformed line is counted, the lines before it are). */
int kml_ports_scan(kml_ports_t *p, const char *text, size_t len, int ipv6);

typedef struct {
  int lo, hi;    /* the range */
  int pool;      /* ports in it that are not reserved */
  int used;      /* distinct ports of the pool in use, any address */
  int sockets;   /* sockets with a local port in the pool */
  int time_wait; /* of those, in TIME_WAIT */
  int busiest;   /* sockets toward the busiest remote endpoint */
  char busiest_name[KML_PORTS_NAME + 8]; /* "10.0.0.5:9092" or "[::1]:9092" */
  int addresses; /* local addresses with per-address counts */
  int dropped;   /* sockets on local addresses beyond max_addresses */
} kml_ports_summary_t;

/* What the scans found. Pure. */
void kml_ports_summary(const kml_ports_t *p, kml_ports_summary_t *out);
/* Local address i (0 <= i < summary.addresses): its text ("127.0.0.1",
 * "::1") into *name (owned by p) and the distinct pool ports bound on it.
 * 0, or -1 when i is out of range. */
int kml_ports_address(const kml_ports_t *p, int i, const char **name,
                      int *used);

#endif
