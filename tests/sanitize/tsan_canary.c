/* A collectd plugin with one deliberate data race: its write callback
 * counts values in a plain static variable, and collectd calls write
 * callbacks from several write threads at once. tests/sanitize/run tsan
 * loads it into a real collectd (WriteThreads 4) with the ThreadSanitizer
 * runtime preloaded and expects exactly one report naming this file: proof
 * that a race in a plugin is seen by that run (collectd itself is not
 * instrumented). Its read callback dispatches the values. Never installed. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

static unsigned long values_seen; /* the race: no lock */

static int canary_write(const data_set_t *ds, const value_list_t *vl,
                        user_data_t *ud) {
  (void)ds;
  (void)vl;
  (void)ud;
  values_seen++;
  return 0;
}

static int canary_read(void) {
  for (int i = 0; i < 200; i++) {
    value_list_t vl = VALUE_LIST_INIT;
    value_t v = {.gauge = i};
    vl.values = &v;
    vl.values_len = 1;
    sstrncpy(vl.plugin, "canary", sizeof(vl.plugin));
    ssnprintf(vl.type_instance, sizeof(vl.type_instance), "v%d", i);
    sstrncpy(vl.type, "gauge", sizeof(vl.type));
    plugin_dispatch_values(&vl);
  }
  return 0;
}

void module_register(void) {
  plugin_register_read("canary", canary_read);
  plugin_register_write("canary", canary_write, NULL);
}
