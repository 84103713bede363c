/* SPDX-License-Identifier: BSD-3-Clause */
/* The native dissectors by model name (info.abbreviation of the models,
 * the file names in models/): what a worker runs on a classified flow. */
#include <string.h>

#include "proto-internal.h"

static const struct pl_dissector dissectors[] = {
	{"tls", NULL, pl_tls_dissect, pl_tls_head_state, NULL},
	{"http", NULL, pl_http_dissect, pl_http_head_state, pl_http_message_len},
	{"dns", pl_dns_dissect, pl_dns_dissect_tcp, pl_dns_tcp_head_state, NULL},
	{"ntp", pl_ntp_dissect, NULL, NULL, NULL},
	{"dhcp", pl_dhcp_dissect, NULL, NULL, NULL},
	{"ssdp", pl_ssdp_dissect, NULL, NULL, NULL},
	/* No model: found by this name for the L2 flows of ether-type 0x0806;
	 * "datagram" here is one ARP packet. */
	{"arp", pl_arp_dissect, NULL, NULL, NULL},
};

const struct pl_dissector *
pl_dissector_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(dissectors) / sizeof(dissectors[0]); i++)
		if (strcmp(name, dissectors[i].name) == 0)
			return &dissectors[i];
	return NULL;
}
