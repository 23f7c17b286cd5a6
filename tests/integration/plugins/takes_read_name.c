/* A collectd plugin that, when loaded, registers a read callback named
 * "kafka/taken": a <Cluster "taken"> of the kafka plugin loaded after it
 * then fails to register its own (collectd refuses a second read callback
 * of one name). test_config.py builds it; never installed. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

static int taken_read(user_data_t *ud) {
  (void)ud;
  return 0;
}

void module_register(void) {
  plugin_register_complex_read(NULL, "kafka/taken", taken_read, 0, NULL);
}
