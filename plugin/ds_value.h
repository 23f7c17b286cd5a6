/* ds_value.h: one collectd data source value as src/ml sees it: its kind
 * and its number. Shared by the ml plugin's files (static inline, no state).
 * Include after collectd's headers. */
#ifndef KML_PLUGIN_DS_VALUE_H
#define KML_PLUGIN_DS_VALUE_H

#include "kml_rate.h"

/* The src/ml kind of a collectd data source type (DS_TYPE_*). */
static inline kml_ds_kind_t ds_kind(int type) {
  switch (type) {
  case DS_TYPE_COUNTER:
    return KML_DS_COUNTER;
  case DS_TYPE_DERIVE:
    return KML_DS_DERIVE;
  case DS_TYPE_ABSOLUTE:
    return KML_DS_ABSOLUTE;
  default:
    return KML_DS_GAUGE;
  }
}

/* The raw number of one value of that type (counters not yet differenced). */
static inline double ds_raw(int type, value_t v) {
  switch (type) {
  case DS_TYPE_COUNTER:
    return (double)v.counter;
  case DS_TYPE_DERIVE:
    return (double)v.derive;
  case DS_TYPE_ABSOLUTE:
    return (double)v.absolute;
  default:
    return v.gauge;
  }
}

#endif
