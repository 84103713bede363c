/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_DEVICE_LINKS_H
#define PL_DEVICE_LINKS_H

/* Links between the randomised MACs of one device (links.c), for the
 * report. Not a public interface. */

#include <stddef.h>
#include <stdint.h>

struct pl_device_table;

struct pl_link_evidence {
	const char *kind; /* "dhcp_hostname", "dhcp_client_id", "dhcp_fingerprint" */
	char *value;
	uint32_t dev;     /* one of the devices that share it */
	uint32_t devices; /* how many share it */
	uint32_t group;
};

struct pl_links {
	uint32_t *group; /* per device (table order): its group, or UINT32_MAX */
	uint32_t nb_groups;
	struct pl_link_evidence *evidence;
	size_t nb_evidence;
};

/** @return 0, or -1 (no memory; out is empty). */
int pl_links_compute(const struct pl_device_table *t, struct pl_links *out);
void pl_links_free(struct pl_links *l);

#endif
