/* oconfig_value.h: one collectd config value as src/kml_conf sees it.
 *
 * Shared by the three plugins' config functions (static inline: each plugin
 * is its own shared object). Include after collectd's headers. */
#ifndef KML_PLUGIN_OCONFIG_VALUE_H
#define KML_PLUGIN_OCONFIG_VALUE_H

#include "kml_conf.h"

/* The single value of an option (KML_CONF_NONE when there is none or more
 * than one). The string is borrowed from ci. */
static inline kml_conf_value_t oconfig_value(const oconfig_item_t *ci) {
  kml_conf_value_t v = {.type = KML_CONF_NONE};
  if (ci->values_num != 1)
    return v;
  switch (ci->values[0].type) {
  case OCONFIG_TYPE_NUMBER:
    v.type = KML_CONF_NUMBER;
    v.number = ci->values[0].value.number;
    break;
  case OCONFIG_TYPE_STRING:
    v = kml_conf_string(ci->values[0].value.string);
    break;
  case OCONFIG_TYPE_BOOLEAN:
    v.type = KML_CONF_BOOLEAN;
    v.boolean = ci->values[0].value.boolean;
    break;
  }
  return v;
}

#endif
