/* Unit tests for src/net/ports.c on tables captured from /proc/net/tcp and
 * /proc/net/tcp6 (x86-64, in a network namespace with
 * ip_local_port_range "40000 40009"): a listener on 127.0.0.1:7000 with
 * three connections to it, one more closed (TIME_WAIT), and one connection
 * to [::1]:7001. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "net/ports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char TCP[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1B58 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 9553848 1 00000000bdd88180 100 0 0 10 0\n"
    "   1: 0100007F:1B58 0100007F:9C40 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553856 1 00000000f3403a5d 20 0 0 10 -1\n"
    "   2: 0100007F:9C40 0100007F:1B58 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553855 2 00000000cff23350 20 0 0 10 -1\n"
    "   3: 0100007F:9C42 0100007F:1B58 06 00000000:00000000 03:0000175B "
    "00000000     0        0 0 3 00000000db351ea9\n"
    "   4: 0100007F:9C46 0100007F:1B58 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553853 2 00000000b70416ed 20 0 0 10 -1\n"
    "   5: 0100007F:9C48 0100007F:1B58 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553851 2 00000000caa59a32 20 0 0 10 -1\n"
    "   6: 0100007F:1B58 0100007F:9C46 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553854 1 000000004cd7ad14 20 0 0 10 -1\n"
    "   7: 0100007F:1B58 0100007F:9C48 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553852 1 0000000064665b60 20 0 0 10 -1\n";

static const char TCP6[] =
    "  sl  local_address                         remote_address          "
    "              st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 00000000000000000000000001000000:1B59 "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 9553849 1 00000000944aece7 100 0 0 10 0\n"
    "   1: 00000000000000000000000001000000:9C46 "
    "00000000000000000000000001000000:1B59 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553857 2 00000000fd7b092f 20 0 0 10 -1\n"
    "   2: 00000000000000000000000001000000:1B59 "
    "00000000000000000000000001000000:9C46 01 00000000:00000000 00:00000000 "
    "00000000     0        0 9553858 1 00000000a8e61f7a 20 0 0 10 -1\n";

static void range_text(void **state) {
  int lo, hi;
  assert_int_equal(kml_ports_range_parse("32768\t60999\n", &lo, &hi), 0);
  assert_int_equal(lo, 32768);
  assert_int_equal(hi, 60999);
  assert_int_equal(kml_ports_range_parse("40000 40000", &lo, &hi), 0);
  assert_int_equal(kml_ports_range_parse("60999 32768\n", &lo, &hi), -1);
  assert_int_equal(kml_ports_range_parse("0 10\n", &lo, &hi), -1);
  assert_int_equal(kml_ports_range_parse("1 70000\n", &lo, &hi), -1);
  assert_int_equal(kml_ports_range_parse("32768\n", &lo, &hi), -1);
  assert_int_equal(kml_ports_range_parse("a b\n", &lo, &hi), -1);
  assert_int_equal(kml_ports_range_parse("1 2 3\n", &lo, &hi), -1);
}

static void captured_tables(void **state) {
  kml_ports_t *p = kml_ports_new(40000, 40009, 16);
  assert_int_equal(kml_ports_scan(p, TCP, strlen(TCP), 0), 8);
  assert_int_equal(kml_ports_scan(p, TCP6, strlen(TCP6), 1), 3);
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  assert_int_equal(s.pool, 10);
  /* 40000, 40002 (TIME_WAIT), 40006 (on both addresses), 40008 */
  assert_int_equal(s.used, 4);
  assert_int_equal(s.sockets, 5);
  assert_int_equal(s.time_wait, 1);
  assert_int_equal(s.busiest, 4);
  assert_string_equal(s.busiest_name, "127.0.0.1:7000");
  assert_int_equal(s.addresses, 2);
  const char *name;
  int used;
  assert_int_equal(kml_ports_address(p, 0, &name, &used), 0);
  assert_string_equal(name, "127.0.0.1");
  assert_int_equal(used, 4);
  assert_int_equal(kml_ports_address(p, 1, &name, &used), 0);
  assert_string_equal(name, "::1");
  assert_int_equal(used, 1);
  assert_int_equal(kml_ports_address(p, 2, &name, &used), -1);
  kml_ports_destroy(p);
}

/* A dual-stack socket on IPv4 (::ffff:127.0.0.1 in /proc/net/tcp6) is the
 * IPv4 address's: its port and its destination count with the IPv4
 * sockets', not as another address. */
static void ipv4_mapped_sockets_are_ipv4(void **state) {
  static const char MAPPED[] =
      "  sl  local_address                         remote_address\n"
      "   0: 0000000000000000FFFF00000100007F:9C44 "
      "0000000000000000FFFF00000100007F:1B58 01 00000000:00000000 "
      "00:00000000 00000000     0        0 9553860 2 0000000000000000 20 0 0 "
      "10 -1\n";
  kml_ports_t *p = kml_ports_new(40000, 40009, 16);
  assert_int_equal(kml_ports_scan(p, TCP, strlen(TCP), 0), 8);
  assert_int_equal(kml_ports_scan(p, MAPPED, strlen(MAPPED), 1), 1);
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  assert_int_equal(s.used, 5); /* 40004 as well */
  assert_int_equal(s.addresses, 1);
  assert_int_equal(s.busiest, 5);
  assert_string_equal(s.busiest_name, "127.0.0.1:7000");
  const char *name;
  int used;
  assert_int_equal(kml_ports_address(p, 0, &name, &used), 0);
  assert_string_equal(name, "127.0.0.1");
  assert_int_equal(used, 5);
  kml_ports_destroy(p);
}

static void reserved_ports_leave_the_pool(void **state) {
  kml_ports_t *p = kml_ports_new(40000, 40009, 16);
  assert_int_equal(kml_ports_reserve(p, "8080,40002-40003, 50000\n"), 0);
  kml_ports_scan(p, TCP, strlen(TCP), 0);
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  assert_int_equal(s.pool, 8);
  assert_int_equal(s.used, 3);
  assert_int_equal(s.time_wait, 0);
  assert_int_equal(kml_ports_reserve(p, ""), 0);
  assert_int_equal(kml_ports_reserve(p, "\n"), 0);
  /* a bad list marks nothing */
  assert_int_equal(kml_ports_reserve(p, "40005,40007-x"), -1);
  assert_int_equal(kml_ports_reserve(p, "40009-40001"), -1);
  assert_int_equal(kml_ports_reserve(p, "40005;40006"), -1);
  kml_ports_summary(p, &s);
  assert_int_equal(s.pool, 8);
  kml_ports_destroy(p);
}

static void other_ranges_and_address_limits(void **state) {
  /* the default range holds none of these ports */
  kml_ports_t *p = kml_ports_new(32768, 39999, 16);
  kml_ports_scan(p, TCP, strlen(TCP), 0);
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  assert_int_equal(s.used, 0);
  assert_int_equal(s.busiest, 0);
  assert_string_equal(s.busiest_name, "");
  kml_ports_destroy(p);
  /* no per-address room: the total still counts */
  p = kml_ports_new(40000, 40009, 0);
  kml_ports_scan(p, TCP, strlen(TCP), 0);
  kml_ports_summary(p, &s);
  assert_int_equal(s.used, 4);
  assert_int_equal(s.addresses, 0);
  assert_int_equal(s.dropped, 4);
  kml_ports_destroy(p);
  assert_null(kml_ports_new(0, 10, 1));
  assert_null(kml_ports_new(10, 9, 1));
  assert_null(kml_ports_new(1, 65536, 1));
}

static void malformed_tables_are_refused(void **state) {
  kml_ports_t *p = kml_ports_new(40000, 40009, 16);
  const char *no_header = "   2: 0100007F:9C40 0100007F:1B58 01 0\n";
  assert_int_equal(kml_ports_scan(p, no_header, strlen(no_header), 0), -1);
  assert_int_equal(kml_ports_scan(p, "", 0, 0), -1);
  /* a table cut in the middle of a line: the lines before it count */
  char cut[sizeof(TCP)];
  size_t n = strstr(TCP, "   4:") - TCP + 20;
  memcpy(cut, TCP, n);
  assert_int_equal(kml_ports_scan(p, cut, n, 0), -1);
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  assert_int_equal(s.used, 2); /* 40000 and 40002 */
  /* an IPv4 table read as IPv6 */
  kml_ports_t *q = kml_ports_new(40000, 40009, 16);
  assert_int_equal(kml_ports_scan(q, TCP, strlen(TCP), 1), -1);
  /* bytes that are not hex, NULs */
  const char bad[] = "  sl  local_address rem_address st\n"
                     "   0: 0100007G:9C40 0100007F:1B58 01\n";
  assert_int_equal(kml_ports_scan(q, bad, sizeof(bad) - 1, 0), -1);
  const char nul[] = "  sl  local_address\n   0: 0100\0007F:9C40 0100007F:1B58 "
                     "01\n";
  assert_int_equal(kml_ports_scan(q, nul, sizeof(nul) - 1, 0), -1);
  kml_ports_summary(q, &s);
  assert_int_equal(s.sockets, 0);
  kml_ports_destroy(q);
  kml_ports_destroy(p);
}

/* Thousands of connections to one broker: the busiest destination. */
static void many_sockets_one_destination(void **state) {
  size_t cap = 200 + 8000 * 160;
  char *t = malloc(cap);
  size_t n = (size_t)snprintf(t, cap, "  sl  local_address rem_address st\n");
  for (int i = 0; i < 8000; i++)
    n += (size_t)snprintf(t + n, cap - n,
                          "%5d: 0A00000A:%04X 0500000A:2384 %02X 0:0\n", i,
                          32768 + i, i % 3 ? 1 : 6);
  kml_ports_t *p = kml_ports_new(32768, 60999, 4);
  assert_int_equal(kml_ports_scan(p, t, n, 0), 8000);
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  assert_int_equal(s.used, 8000);
  assert_int_equal(s.pool, 28232);
  assert_int_equal(s.busiest, 8000);
  assert_string_equal(s.busiest_name, "10.0.0.5:9092");
  assert_int_equal(s.time_wait, 2667);
  const char *name;
  int used;
  kml_ports_address(p, 0, &name, &used);
  assert_string_equal(name, "10.0.0.10");
  kml_ports_destroy(p);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(range_text),
      cmocka_unit_test(captured_tables),
      cmocka_unit_test(ipv4_mapped_sockets_are_ipv4),
      cmocka_unit_test(reserved_ports_leave_the_pool),
      cmocka_unit_test(other_ranges_and_address_limits),
      cmocka_unit_test(malformed_tables_are_refused),
      cmocka_unit_test(many_sockets_one_destination),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
