/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The metrics export: the daemon's figures in the Prometheus text format
 * (for `stubdmctl stats --openmetrics` and node_exporter's textfile
 * collector), written atomically to the policy's metrics_file.
 */
#ifndef STUBDMD_METRICS_H
#define STUBDMD_METRICS_H

struct metrics;
struct stubdmd;

/* The whole exposition, malloc'd; NULL if out of memory. */
char	*metrics_text(struct stubdmd *sd);

/* The file writer: 0 and *out set, or -ENOMEM. */
int	metrics_new(struct stubdmd *sd, struct metrics **out);
/* Follow the policy in force (metrics_file, metrics_interval). */
void	metrics_apply(struct metrics *m);
void	metrics_free(struct metrics *m);

#endif
