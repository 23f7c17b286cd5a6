/**
 * collectd-kafka-ml - plugin/ml_multipeers.h
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A <Peers> block with a Types option compares members on several values
 * at once (src/ml/multipeers.c): collectd glue for its option, its feed
 * and its notifications. plugin/ml.c keeps the block's regexes, GroupBy,
 * ZThreshold, MinMembers and Persist and calls these hooks.
 * Thread-safety: ml_multipeers_feed may run on any write thread (the
 * block's own lock); the others on the config and read callbacks.
 **/
#ifndef ML_MULTIPEERS_H
#define ML_MULTIPEERS_H

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

#include "ml/multipeers.h"

/* The Types option of block `name` into cfg's features. 0, or -1 after
 * writing the reason (completing "<Peers "name"> Types ...") into err. */
int ml_multipeers_types(const oconfig_item_t *c, kml_multipeers_cfg_t *cfg,
                        char *err, size_t errlen);
/* The values of vl that are features of the block (write path). */
void ml_multipeers_feed(kml_multipeers_t *m, const char *name,
                        const data_set_t *ds, const value_list_t *vl);
/* Evaluate the block and notify its members' state changes (read
 * callback). */
void ml_multipeers_eval(kml_multipeers_t *m, const char *name,
                        const kml_multipeers_cfg_t *cfg, double now,
                        double interval, double idle);

#endif
