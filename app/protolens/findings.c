/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Findings of an ended flow: its messages, parsed, go through the rules of
 * its protocol (lib/policy); each finding goes into the flow record and to
 * the device it concerns. What a client sent is the client's; what a
 * server answered (the version or suite it chose) concerns the server if
 * it is a device, and the device that talked to it; what a remote host
 * sent concerns the device that received it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "device.h"
#include "policy.h"
#include "protolens.h"

#define FLOW_MSGS_MAX 256
#define FINDINGS_MAX 32

/* Where a message from key side `from` went: broadcast, multicast or one
 * host, by the destination's MAC or address. */
static uint8_t
destination(const struct pl_flow_record *r, unsigned to_side)
{
	const uint8_t *mac = r->mac[to_side];
	if (mac[0] & 1)
		return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff
			       ? 1 : 2;
	const uint8_t *a = r->key.addr[to_side ? !r->orig_side : r->orig_side];
	if (r->key.family == PL_FAMILY_IPV6 && a[0] == 0xff)
		return 2;
	if (r->key.family == PL_FAMILY_IPV4 && (a[0] & 0xf0) == 0xe0)
		return 2;
	return 0;
}

char *
pl_findings_of_flow(const struct pl_app *app, struct pl_devices *d,
		    const struct pl_flow_record *r,
		    const struct pl_attr_list lists[2], uint64_t *lost)
{
	if (app->policy == NULL || r->app == 0 || r->app == PL_ATTR_APP_ARP ||
	    (lists[0].n == 0 && lists[1].n == 0) ||
	    !pl_policy_model_has_rules(app->policy, r->app - 1u))
		return NULL;
	struct pl_policy_msg msgs[FLOW_MSGS_MAX];
	unsigned n = 0;
	/* Originator first: the first message that breaks a rule is then the
	 * request, which is what most rules look at. */
	for (unsigned dir = 0; dir < 2; dir++) {
		unsigned ks = dir == 0 ? r->orig_side : !r->orig_side;
		for (unsigned i = 0; i < lists[ks].n && n < FLOW_MSGS_MAX; i++) {
			const struct pl_attr_text *t = &lists[ks].v[i];
			json_t *j = json_loads(t->json, JSON_ALLOW_NUL, NULL);
			if (j == NULL)
				continue;
			msgs[n++] = (struct pl_policy_msg){
				.attrs = j,
				.from_orig = dir == 0,
				.peer_remote = pl_device_addr_routable(&r->key, !ks),
				.dst_cast = destination(r, !dir),
				.ttl = t->ttl,
			};
		}
	}
	struct pl_finding f[FINDINGS_MAX];
	unsigned nf = pl_policy_check(app->policy, r->app - 1u, msgs, n, f,
				      FINDINGS_MAX);
	for (unsigned i = 0; i < n; i++)
		json_decref((json_t *)msgs[i].attrs);
	if (nf == 0)
		return NULL;

	json_t *a = json_array();
	for (unsigned i = 0; i < nf; i++) {
		const struct pl_rule_info *ri = pl_policy_rule(app->policy, f[i].rule);
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s,s:s,s:s}", "rule", ri->id, "kind",
				     ri->kind, "severity", ri->severity,
				     "direction", f[i].from_orig ? "orig" : "resp",
				     "value", f[i].value));
		/* The sender's if it is a device; a server's answer also
		 * concerns its client; a remote host's message, its local
		 * receiver. */
		unsigned from = f[i].from_orig ? 0 : 1;
		int rc = pl_devices_finding(d, r, from, ri, f[i].value);
		/* Once per device: both sides may be one MAC. */
		bool same = rc == 0 && memcmp(r->mac[0], r->mac[1], 6) == 0;
		if ((from == 1 || rc == -ENOENT) && !same)
			pl_devices_finding(d, r, !from, ri, f[i].value);
	}
	char *text = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (text == NULL)
		(*lost)++;
	return text;
}
