/**
 * collectd-kafka-ml - plugin/ports.c
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The "ports" read plugin: collectd glue around src/net/ports. Each read
 * takes net.ipv4.ip_local_port_range (and ip_local_reserved_ports) and the
 * TCP socket tables of the network namespace collectd runs in, and
 * dispatches the ephemeral ports in use against the range:
 *   host = the host's name, plugin = "ports",
 *   type ports_range: ports in the range that are not reserved;
 *   type ports_used, type_instance "total" (distinct ports of the range in
 *     use), "<local address>" (per address, PerAddress), "busiest_destination"
 *     (sockets with a port of the range toward the busiest remote endpoint);
 *   type ports_time_wait: of those sockets, the ones in TIME_WAIT.
 * The ml plugin's forecast model, with a Threshold at the range, warns
 * before the range runs out (collectd.conf.d/ports.conf).
 **/

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include "kml_conf.h"
#include "kml_str.h"
#include "net/ports.h"
#include "oconfig_value.h"
#include "types_known.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define PORTS_LOG "ports plugin: "
#define RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_FILE "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define MAX_TABLE (256u << 20) /* bytes of a socket table read at most */

static bool per_address = true;
static int max_addresses = 16;
static bool config_failed;
static char last_error[256]; /* logged once per change */

static void report_error(const char *msg) {
  if (strcmp(msg, last_error) != 0) {
    if (msg[0] != '\0')
      ERROR(PORTS_LOG "%s", msg);
    else if (last_error[0] != '\0')
      INFO(PORTS_LOG "reading the socket tables again");
    sstrncpy(last_error, msg, sizeof(last_error));
  }
}

/* The whole of a /proc file into a new buffer (its size reads as 0, so
 * read until the end); NULL with errno set. */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  while (buf != NULL) {
    if (n == cap) {
      char *b = cap < MAX_TABLE ? realloc(buf, 2 * cap + 1) : NULL;
      if (b == NULL) {
        free(buf);
        buf = NULL;
        errno = EFBIG;
        break;
      }
      buf = b;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      buf = NULL;
      errno = e;
      break;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  if (buf != NULL) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

static void dispatch(const char *type, const char *ti, double value,
                     const char *meta_key, const char *meta_value) {
  value_list_t vl = VALUE_LIST_INIT;
  value_t v = {.gauge = value};
  vl.values = &v;
  vl.values_len = 1;
  sstrncpy(vl.plugin, "ports", sizeof(vl.plugin));
  sstrncpy(vl.type, type, sizeof(vl.type));
  sstrncpy(vl.type_instance, ti, sizeof(vl.type_instance));
  if (meta_key != NULL) {
    vl.meta = meta_data_create();
    if (vl.meta != NULL)
      meta_data_add_string(vl.meta, meta_key, meta_value);
  }
  plugin_dispatch_values(&vl);
  if (vl.meta != NULL)
    meta_data_destroy(vl.meta);
}

/* Scan one socket table; 0, or -1 with the reason in err. A missing
 * tcp6 table (IPv6 off) is no error. */
static int scan(kml_ports_t *p, const char *path, int ipv6, char *err,
                size_t errlen) {
  size_t len = 0;
  char *text = slurp(path, &len);
  if (text == NULL) {
    if (ipv6 && errno == ENOENT)
      return 0;
    snprintf(err, errlen, "cannot read %s: %s", path, STRERRNO);
    return -1;
  }
  int n = kml_ports_scan(p, text, len, ipv6);
  free(text);
  if (n < 0) {
    snprintf(err, errlen, "%s is not a socket table this plugin can read",
             path);
    return -1;
  }
  return 0;
}

static int ports_read(void) {
  char err[256] = "";
  size_t len;
  char *range = slurp(RANGE_FILE, &len);
  int lo, hi;
  if (range == NULL || kml_ports_range_parse(range, &lo, &hi) != 0) {
    snprintf(err, sizeof(err), "cannot read the port range from %s: %s",
             RANGE_FILE, range ? "not two ports" : STRERRNO);
    free(range);
    report_error(err);
    return 0;
  }
  free(range);
  kml_ports_t *p = kml_ports_new(lo, hi, per_address ? max_addresses : 0);
  if (p == NULL) {
    report_error("out of memory");
    return 0;
  }
  char *reserved = slurp(RESERVED_FILE, &len);
  if (reserved != NULL && kml_ports_reserve(p, reserved) != 0)
    snprintf(err, sizeof(err), "%s is not a list of ports", RESERVED_FILE);
  free(reserved);
  if (err[0] == '\0' && scan(p, "/proc/net/tcp", 0, err, sizeof(err)) == 0)
    scan(p, "/proc/net/tcp6", 1, err, sizeof(err));
  report_error(err);
  if (err[0] != '\0') { /* unknown is not zero: nothing is dispatched */
    kml_ports_destroy(p);
    return 0;
  }
  kml_ports_summary_t s;
  kml_ports_summary(p, &s);
  dispatch("ports_range", "", s.pool, NULL, NULL);
  dispatch("ports_used", "total", s.used, NULL, NULL);
  dispatch("ports_used", "busiest_destination", s.busiest,
           s.busiest_name[0] ? "destination" : NULL, s.busiest_name);
  dispatch("ports_time_wait", "", s.time_wait, NULL, NULL);
  for (int i = 0; i < s.addresses; i++) {
    const char *name;
    int used;
    char ti[DATA_MAX_NAME_LEN];
    if (kml_ports_address(p, i, &name, &used) != 0)
      continue;
    kml_str_sanitize(ti, sizeof(ti), name, 0);
    dispatch("ports_used", ti, used, "address", name);
  }
  kml_ports_destroy(p);
  return 0;
}

static int ports_config(oconfig_item_t *ci) {
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    kml_conf_value_t v = oconfig_value(c);
    char err[256];
    int rc;
    if (strcasecmp("PerAddress", c->key) == 0) {
      int b;
      rc = kml_conf_bool(&v, &b, err, sizeof(err));
      if (rc == 0)
        per_address = b;
    } else if (strcasecmp("MaxAddresses", c->key) == 0) {
      long long n;
      rc = kml_conf_int(&v, 1, 4096, &n, err, sizeof(err));
      if (rc == 0)
        max_addresses = (int)n;
    } else {
      snprintf(err, sizeof(err),
               "is not an option of <Plugin ports> (known: PerAddress, "
               "MaxAddresses)");
      rc = -1;
    }
    if (rc != 0) {
      ERROR(PORTS_LOG "<Plugin ports> %s %s", c->key, err);
      config_failed = true;
    }
  }
  return 0; /* the daemon and the other plugins keep running */
}

/* collectd knows the ports_* types only from a TypesDB line that lists
 * kafka.types.db (which holds them); without it each value of each read
 * would be refused with its own "Dataset not found" line. One error says
 * what to add instead. */
static bool types_known(void) {
  static const char *const types[] = {"ports_range", "ports_used",
                                      "ports_time_wait"};
  const char *missing = first_unknown_type(types, STATIC_ARRAY_SIZE(types));
  if (missing == NULL)
    return true;
  ERROR(PORTS_LOG "collectd does not know the type %s: its TypesDB line "
                  "does not list kafka.types.db (which holds the ports_* "
                  "types). Add it, e.g. TypesDB "
                  "\"/usr/share/collectd/types.db\" \"%s\" (a TypesDB line "
                  "replaces collectd's default list). Nothing is read until "
                  "then.",
        missing, KML_PKG_TYPES_DB);
  return false;
}

static int ports_init(void) {
  if (config_failed) {
    ERROR(PORTS_LOG "disabled because of the error above");
    return 0;
  }
  if (!types_known())
    return 0; /* the daemon and the other plugins keep running */
  return plugin_register_read("ports", ports_read);
}

void module_register(void) {
  plugin_register_complex_config("ports", ports_config);
  plugin_register_init("ports", ports_init);
}
