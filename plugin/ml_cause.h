/**
 * collectd-kafka-ml - plugin/ml_cause.h
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ml plugin's <Cause> block: collectd glue for src/ml/cause.c (why a
 * consumer group backed up). plugin/ml.c calls these hooks: the config
 * callback for the block, the write path to file values, the read
 * callback to expire and to explain the notifications it is about to send.
 * Thread-safety: ml_cause_feed may run on any write thread; the others run
 * on collectd's config, init, read and shutdown callbacks.
 **/
#ifndef ML_CAUSE_H
#define ML_CAUSE_H

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

#include "ml/cause.h"
#include "ml/peer_groups.h"
#include "ml/pending.h"

/* Parse a <Cause> block; errors are logged and leave the chain off.
 * Always 0 (a bad block never stops the daemon). */
int ml_cause_config(oconfig_item_t *ci);
/* Create the context when a <Cause> block was configured (interval: the
 * plugin's, the default step). */
void ml_cause_init(double interval);
void ml_cause_shutdown(void);
/* File the values of vl (write path; a no-op without <Cause>). */
void ml_cause_feed(const data_set_t *ds, const value_list_t *vl);
/* Forget series not fed since cutoff (read callback). */
void ml_cause_expire(double cutoff);

/* Chains for n pending notifications (anomalies of a group's or a
 * partition's series; others get explained = 0) in one batch: a malloc'd
 * array of n the caller frees, or NULL when there is nothing to explain. */
kml_cause_chain_t *ml_cause_for_pending(const kml_pending_t *e, size_t n);
/* The same for n peer changes (WARNINGs of partitions), at time now. */
kml_cause_chain_t *ml_cause_for_peers(const kml_peer_change_t *c, size_t n,
                                      double now);
/* Append the chain to n's message (as much as fits) and its numbers to
 * n's meta data. ch may be NULL or not explained: nothing is added. */
void ml_cause_annotate(notification_t *n, const kml_cause_chain_t *ch);

#endif
