/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trace checks before EAL starts. The pcap PMD in DPDK 22.11 signals no end
 * of file, so the packet count found here is how the RX lcore knows it has
 * read the whole trace; a file libpcap cannot read to its end is refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "protolens.h"

#define MAX_CUTS (16u << 20)

int64_t
pl_trace_count(const char *path, int *link, struct pl_trace_cut **cuts,
	       size_t *nb_cuts)
{
	char err[PCAP_ERRBUF_SIZE];
	struct stat st;

	if (strchr(path, ',') != NULL) {
		fprintf(stderr,
			"protolens: %s: a trace path cannot contain ',' (EAL "
			"device arguments split on it)\n",
			path);
		return -1;
	}
	if (stat(path, &st) != 0) {
		fprintf(stderr, "protolens: %s: cannot open: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "protolens: %s: not a regular file\n", path);
		return -1;
	}
	if (st.st_size == 0) {
		fprintf(stderr, "protolens: %s: empty file, expected a pcap or "
				"pcapng trace\n", path);
		return -1;
	}
	pcap_t *p = pcap_open_offline(path, err);
	if (p == NULL) {
		fprintf(stderr, "protolens: %s: not a readable pcap or pcapng "
				"trace: %s\n", path, err);
		return -1;
	}
	int dlt = pcap_datalink(p);
	if (!pl_pkt_link_supported(dlt)) {
		fprintf(stderr,
			"protolens: %s: link type %s, expected Ethernet, "
			"loopback (NULL, LOOP), RAW or LINUX_SLL\n",
			path, pcap_datalink_val_to_name(dlt)
				      ? pcap_datalink_val_to_name(dlt)
				      : "unknown");
		pcap_close(p);
		return -1;
	}
	*link = dlt;
	struct pcap_pkthdr *h;
	const u_char *data;
	int64_t n = 0;
	int rc;
	size_t cap = 0;
	*cuts = NULL;
	*nb_cuts = 0;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (h->len > h->caplen && *nb_cuts < MAX_CUTS) {
			if (*nb_cuts == cap) {
				cap = cap ? cap * 2 : 1024;
				struct pl_trace_cut *c =
					realloc(*cuts, cap * sizeof(*c));
				if (c == NULL)
					break; /* lengths from IP headers */
				*cuts = c;
			}
			(*cuts)[(*nb_cuts)++] = (struct pl_trace_cut){
				.index = (uint64_t)n, .orig_len = h->len};
		}
		n++;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr,
			"protolens: %s: unreadable after packet %" PRId64
			": %s\n",
			path, n, pcap_geterr(p));
		pcap_close(p);
		free(*cuts);
		*cuts = NULL;
		return -1;
	}
	pcap_close(p);
	if (n == 0) {
		fprintf(stderr, "protolens: %s: the trace holds no packets\n",
			path);
		free(*cuts);
		*cuts = NULL;
		return -1;
	}
	return n;
}
