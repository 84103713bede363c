/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_EXPORT_H
#define PL_EXPORT_H

/**
 * @file
 * Export: flow records as JSON Lines (docs/output.md is the reference),
 * Community ID v1 and flow uids.
 */

#include <stdint.h>
#include <stdio.h>

#include "flow.h"
#include "model.h"

/** Buffer size that always holds a Community ID string. */
#define PL_COMMUNITY_ID_LEN 32

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec) of an IP
 * flow, oriented by its originator.
 * @param seed  the spec's seed (0 by default, as in Zeek and Suricata)
 * @param out   receives "1:" and the base64 of the SHA-1, NUL-terminated
 * @return 0, or -EINVAL for L2 records (they have no Community ID).
 */
int pl_export_community_id(const struct pl_flow_record *r, uint16_t seed,
			   char out[PL_COMMUNITY_ID_LEN]);

/** Buffer size that always holds a uid. */
#define PL_UID_LEN 24

/** Stable, unique-per-run flow uid ("C" and base62), from worker and seq. */
void pl_export_uid(unsigned worker, uint64_t seq, char out[PL_UID_LEN]);

/** What control adds to a flow record besides the record itself. */
struct pl_flow_extra {
	/** The protocol's attributes of the originator's and the responder's
	 * direction: the first message's JSON object text, NULL if none;
	 * written as "<proto>":{"orig":..,"resp":..}, and for an L2 flow of
	 * ether-type 0x0806 (ARP, no model) as "arp":{...} */
	const char *attrs[2];
	/** Messages dissected per direction ("orig_messages", "resp_messages"
	 * beside a direction's attributes); 0: not written. */
	unsigned messages[2];
	/** The flow's findings: a JSON array text written as "findings", or
	 * NULL for none. */
	const char *findings;
};

/**
 * Write one flow record as a JSON object on one line.
 * @param models  the set the record's model indexes refer to; NULL when
 *                detection is off
 * @param x       attributes and findings; NULL for none
 * @return 0, or -EIO if the stream failed (errno is kept).
 */
int pl_export_flow_json(FILE *f, const struct pl_flow_record *r,
			const struct pl_model_set *models,
			const struct pl_flow_extra *x);

#endif /* PL_EXPORT_H */
