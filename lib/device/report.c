/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device report (devices.json, docs/output.md): built from the table
 * when it is exported, so what depends on every device (which MAC is the
 * gateway, which MACs are one device) is decided on everything seen so far.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"
#include "links.h"

static json_t *
seconds(uint64_t us)
{
	return json_real((double)us / 1e6);
}

/* Of the MACs that route for others, the one most routable addresses sit
 * behind. */
static const struct pl_device *
gateway_of(const struct pl_device_table *t)
{
	const struct pl_device *best = NULL;
	double most = -1;
	for (uint32_t i = 0; i < t->count; i++) {
		double e = pl_device_global_estimate(t->list[i]);
		if (pl_device_routes(t->list[i]) && e > most) {
			most = e;
			best = t->list[i];
		}
	}
	return best;
}

static json_t *
addresses_json(const struct pl_device *d, bool gateway)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} src[] = {{PL_DEV_SRC_TRAFFIC, "traffic"}, {PL_DEV_SRC_ARP, "arp"},
		   {PL_DEV_SRC_DHCP, "dhcp"}, {PL_DEV_SRC_MDNS, "mdns"},
		   {PL_DEV_SRC_NDP, "ndp"}};
	json_t *a = json_array();
	for (unsigned i = 0; i < d->nb_addrs; i++) {
		const struct pl_dev_addr *e = &d->addrs[i];
		/* Routable addresses seen behind a gateway before it was one
		 * are the remote hosts', not its own. */
		if (gateway && !pl_device_surely_owns(d, &e->a))
			continue;
		char buf[46];
		pl_addr_str(&e->a, buf, sizeof(buf));
		json_t *s = json_array();
		for (size_t k = 0; k < sizeof(src) / sizeof(src[0]); k++)
			if (e->sources & src[k].bit)
				json_array_append_new(s, json_string(src[k].name));
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:o,s:o,s:o}", "address", buf,
				     "family", e->a.family == 6 ? "ipv6" : "ipv4",
				     "sources", s, "first_seen",
				     seconds(e->first_us), "last_seen",
				     seconds(e->last_us)));
	}
	return a;
}

/* The value of a "source\tname" or "addr\tname" key after its tab. */
static const char *
after_tab(const char *k)
{
	const char *t = strchr(k, '\t');
	return t ? t + 1 : k;
}

static json_t *
names_json(const struct pl_device *d, const char **best)
{
	static const char *const order[] = {"dhcp", "dhcp-fqdn", "mdns",
					    "dns-sd"};
	json_t *a = json_array();
	const struct pl_val **s = pl_vals_sorted(&d->names);
	unsigned best_rank = 99;
	*best = NULL;
	for (uint32_t i = 0; s && i < d->names.len; i++) {
		const char *k = s[i]->key;
		size_t sl = (size_t)(after_tab(k) - k) - 1;
		char source[16];
		snprintf(source, sizeof(source), "%.*s", (int)sl, k);
		for (unsigned r = 0; r < sizeof(order) / sizeof(order[0]); r++)
			if (strcmp(source, order[r]) == 0 && r < best_rank) {
				best_rank = r;
				*best = after_tab(k);
			}
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:I}", "name", after_tab(k),
				     "source", source, "count",
				     (json_int_t)s[i]->n));
	}
	free(s);
	return a;
}

static json_t *
split_json(const struct pl_dev_proto *p, int i)
{
	return json_pack("{s:I,s:I,s:I}", "flows", (json_int_t)p->flows[i],
			 "packets", (json_int_t)p->pkts[i], "bytes",
			 (json_int_t)p->bytes[i]);
}

static json_t *
protocols_json(const struct pl_device *d)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < d->nb_protos; i++) {
		const struct pl_dev_proto *p = &d->protos[i];
		json_array_append_new(
			a, json_pack("{s:s,s:I,s:I,s:I,s:o,s:o}", "protocol",
				     p->name, "flows",
				     (json_int_t)(p->flows[0] + p->flows[1]),
				     "packets",
				     (json_int_t)(p->pkts[0] + p->pkts[1]),
				     "bytes",
				     (json_int_t)(p->bytes[0] + p->bytes[1]),
				     "std_port", split_json(p, 0), "other_port",
				     split_json(p, 1)));
	}
	return a;
}

/* Names a device's DNS answers gave an address, as a JSON array. */
static json_t *
names_of(const struct pl_device *d, const char *addr)
{
	json_t *a = json_array();
	size_t n = strlen(addr);
	for (uint32_t i = 0; i < d->answers.len; i++) {
		const char *k = d->answers.v[i].key;
		if (strncmp(k, addr, n) == 0 && k[n] == '\t')
			json_array_append_new(a, json_string(k + n + 1));
	}
	return a;
}

/* Services the device reached, remote (behind the gateway) or local. */
static void
services_json(const struct pl_device *d, const struct pl_device *gw,
	      unsigned top, json_t **remote, json_t **local)
{
	*remote = json_array();
	*local = json_array();
	const struct pl_val **s = pl_vals_sorted(&d->services);
	unsigned nr = 0, nl = 0;
	for (uint32_t i = 0; s && i < d->services.len; i++) {
		char addr[64], proto[32], tr[8];
		unsigned port;
		if (sscanf(s[i]->key, "%63[^|]|%31[^|]|%7[^|]|%u", addr, proto,
			   tr, &port) != 4)
			continue;
		bool is_remote = gw && memcmp(s[i]->mac, gw->mac, 6) == 0;
		unsigned *count = is_remote ? &nr : &nl;
		if (top && *count >= top)
			continue;
		(*count)++;
		json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:I,s:I}", "address",
				      addr, "protocol", proto, "transport", tr,
				      "port", (int)port, "flows",
				      (json_int_t)s[i]->n, "bytes",
				      (json_int_t)s[i]->bytes);
		json_object_set_new(o, "names", names_of(d, addr));
		json_array_append_new(is_remote ? *remote : *local, o);
	}
	free(s);
}

static json_t *
features_json(const struct pl_device *d, unsigned top)
{
	json_t *all = json_object();
	for (int f = 0; f < PL_DEV_F_MAX; f++) {
		const struct pl_vals *s = &d->feat[f];
		if (s->len == 0)
			continue;
		const char *sec = pl_dev_feature_section(f);
		json_t *o = json_object_get(all, sec);
		if (o == NULL) {
			o = json_object();
			json_object_set_new(all, sec, o);
		}
		json_object_set_new(o, pl_dev_feature_key(f),
				    pl_vals_json(s, f == PL_DEV_F_HTTP_URIS ? top : 0));
	}
	return all;
}

static json_t *
hourly_json(const struct pl_device *d)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < d->nb_hours; i++) {
		const struct pl_dev_hour *h = &d->hours[i];
		json_t *bp = json_object();
		for (unsigned p = 0; p < d->nb_protos; p++)
			if (h->by_proto[p])
				json_object_set_new(bp, d->protos[p].name,
						    json_integer((json_int_t)h->by_proto[p]));
		json_array_append_new(
			a, json_pack("{s:I,s:I,s:o}", "start",
				     (json_int_t)(h->hour * 3600), "bytes",
				     (json_int_t)h->bytes, "protocols", bp));
	}
	return a;
}

/* The device's requests repeated at a regular interval (device.h). */
static void
polling_json(const struct pl_device *d, json_t *a)
{
	for (unsigned i = 0; i < d->nb_polls; i++) {
		const struct pl_dev_poll *p = &d->polls[i];
		if (p->n < PL_DEVICE_POLL_MIN || p->intervals < 2 ||
		    p->mean_s < PL_DEVICE_POLL_MIN_S)
			continue;
		double sd = sqrt(p->m2 / (double)(p->intervals - 1));
		if (sd > PL_DEVICE_POLL_JITTER * p->mean_s)
			continue;
		char value[600];
		snprintf(value, sizeof(value), "%s every %.1f s (%llu requests)",
			 p->key, p->mean_s, (unsigned long long)p->n);
		json_t *uids = json_array();
		for (unsigned u = 0; u < PL_DEV_POLL_UIDS && u < p->n; u++)
			json_array_append_new(uids, json_string(p->uids[u]));
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:s}", "rule",
				     PL_DEVICE_POLL_RULE, "protocol", "http",
				     "severity", "medium", "count", (json_int_t)p->n,
				     "first_seen", seconds(p->first_us),
				     "last_seen", seconds(p->last_us),
				     "example_uids", uids, "value", value));
	}
}

static json_t *
findings_json(const struct pl_device *d)
{
	json_t *a = json_array();
	polling_json(d, a);
	for (unsigned i = 0; i < d->nb_findings; i++) {
		const struct pl_dev_finding *f = &d->findings[i];
		json_t *uids = json_array();
		for (unsigned u = 0; u < PL_DEV_FINDING_UIDS && u < f->count; u++)
			json_array_append_new(uids, json_string(f->uids[u]));
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:s}", "rule",
				     f->rule, "protocol", f->proto, "severity",
				     f->severity, "count", (json_int_t)f->count,
				     "first_seen", seconds(f->first_us),
				     "last_seen", seconds(f->last_us),
				     "example_uids", uids, "value", f->value));
	}
	return a;
}

static bool
has_finding(json_t *findings, const char *rule)
{
	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f)
		if (strcmp(json_string_value(json_object_get(f, "rule")), rule) == 0)
			return true;
	return false;
}

/* Pass or fail per check of each protocol the device spoke, as the
 * ProtoIoT paper's Table I marks them. */
static json_t *
compliance_json(const struct pl_device_table *t, const struct pl_device *d,
		json_t *findings)
{
	json_t *o = json_object();
	for (unsigned p = 0; p < d->nb_protos; p++) {
		json_t *checks = NULL;
		for (unsigned r = 0; r < t->cfg.nb_rules; r++) {
			const struct pl_device_rule *rule = &t->cfg.rules[r];
			if (strcmp(rule->proto, d->protos[p].name) != 0)
				continue;
			if (checks == NULL) {
				checks = json_object();
				json_object_set_new(o, rule->proto, checks);
			}
			json_object_set_new(checks, rule->id,
					    json_string(has_finding(findings, rule->id)
							? "fail" : "pass"));
		}
	}
	return o;
}

static json_t *
device_json(const struct pl_device_table *t, const struct pl_device *d,
	    const struct pl_device *gw, uint32_t group)
{
	char mac[18];
	const char *registry = NULL, *best = NULL;
	const char *vendor = pl_oui_vendor(t->cfg.oui, d->mac, &registry);
	bool local = pl_mac_is_local(d->mac);

	pl_pkt_mac_str(d->mac, mac);
	/* A locally administered MAC is not the registrant's, whatever its
	 * first bytes say. */
	if (local)
		vendor = registry = NULL;
	uint64_t internal = 0, external = 0;
	for (uint32_t i = 0; i < d->peers.len; i++) {
		if (gw && memcmp(d->peers.v[i].mac, gw->mac, 6) == 0)
			external += d->peers.v[i].bytes;
		else
			internal += d->peers.v[i].bytes;
	}
	json_t *remote, *localsvc;
	services_json(d, gw, t->cfg.top, &remote, &localsvc);
	json_t *names = names_json(d, &best);
	uint64_t dropped = d->addrs_dropped + d->peers.other +
			   d->services.other + d->answers.other + d->names.other;
	for (int f = 0; f < PL_DEV_F_MAX; f++)
		dropped += d->feat[f].other;

	json_t *o = json_object();
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "role", json_string(d == gw ? "gateway" : "device"));
	json_object_set_new(o, "vendor", vendor ? json_string(vendor) : json_null());
	json_object_set_new(o, "vendor_registry",
			    registry ? json_string(registry) : json_null());
	json_object_set_new(o, "locally_administered", json_boolean(local));
	if (group != UINT32_MAX) {
		char id[16];
		snprintf(id, sizeof(id), "L%u", group + 1);
		json_object_set_new(o, "linked", json_string(id));
	}
	json_object_set_new(o, "name", best ? json_string(best) : json_null());
	json_object_set_new(o, "names", names);
	json_object_set_new(o, "addresses", addresses_json(d, d == gw));
	json_object_set_new(o, "first_seen",
			    d->first_us == UINT64_MAX ? json_null()
						      : seconds(d->first_us));
	json_object_set_new(o, "last_seen",
			    d->first_us == UINT64_MAX ? json_null()
						      : seconds(d->last_us));
	json_object_set_new(
		o, "traffic",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "flows",
			  (json_int_t)d->flows, "packets_sent",
			  (json_int_t)d->pkts_sent, "bytes_sent",
			  (json_int_t)d->bytes_sent, "packets_received",
			  (json_int_t)d->pkts_recv, "bytes_received",
			  (json_int_t)d->bytes_recv, "internal_bytes",
			  (json_int_t)internal, "external_bytes",
			  (json_int_t)external));
	json_object_set_new(o, "protocols", protocols_json(d));
	json_object_set_new(o, "remote_services", remote);
	json_object_set_new(o, "local_services", localsvc);
	json_object_set_new(o, "fingerprint", features_json(d, t->cfg.top));
	json_object_set_new(o, "hourly", hourly_json(d));
	json_t *findings = findings_json(d);
	json_object_set_new(o, "findings", findings);
	json_object_set_new(o, "compliance", compliance_json(t, d, findings));
	json_object_set_new(o, "values_dropped", json_integer((json_int_t)dropped));
	return o;
}

static json_t *
links_json(const struct pl_device_table *t, const struct pl_links *l)
{
	json_t *a = json_array();
	for (uint32_t g = 0; g < l->nb_groups; g++) {
		json_t *macs = json_array(), *ev = json_array();
		char mac[18], id[16];
		for (uint32_t i = 0; i < t->count; i++)
			if (l->group[i] == g) {
				pl_pkt_mac_str(t->list[i]->mac, mac);
				json_array_append_new(macs, json_string(mac));
			}
		for (size_t e = 0; e < l->nb_evidence; e++)
			if (l->evidence[e].group == g)
				json_array_append_new(
					ev, json_pack("{s:s,s:s,s:i}", "kind",
						      l->evidence[e].kind,
						      "value",
						      l->evidence[e].value,
						      "macs",
						      (int)l->evidence[e].devices));
		snprintf(id, sizeof(id), "L%u", g + 1);
		json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "id", id,
						   "macs", macs, "evidence",
						   ev));
	}
	return a;
}

json_t *
pl_device_report(struct pl_device_table *t)
{
	struct pl_links l;
	if (pl_links_compute(t, &l) != 0)
		return NULL;
	const struct pl_device *gw = gateway_of(t);
	json_t *devs = json_array();
	for (uint32_t i = 0; i < t->count; i++)
		json_array_append_new(devs,
				      device_json(t, t->list[i], gw, l.group[i]));
	char mac[18];
	if (gw)
		pl_pkt_mac_str(gw->mac, mac);
	json_t *r = json_object();
	json_object_set_new(r, "version", json_integer(1));
	json_object_set_new(r, "trace_time",
			    t->last_us ? seconds(t->last_us) : json_null());
	json_object_set_new(r, "gateway", gw ? json_string(mac) : json_null());
	json_object_set_new(r, "devices_count", json_integer(t->count));
	json_object_set_new(r, "devices_dropped",
			    json_integer((json_int_t)t->dropped));
	json_object_set_new(r, "updates_lost_no_memory",
			    json_integer((json_int_t)t->no_memory));
	json_object_set_new(r, "devices", devs);
	json_object_set_new(r, "links", links_json(t, &l));
	pl_links_free(&l);
	return r;
}

json_t *
pl_device_get(struct pl_device_table *t, const uint8_t mac[6])
{
	struct pl_device *d = pl_device_lookup(t, mac, false);
	if (d == NULL)
		return NULL;
	struct pl_links l;
	if (pl_links_compute(t, &l) != 0)
		return NULL;
	uint32_t group = UINT32_MAX;
	for (uint32_t i = 0; i < t->count; i++)
		if (t->list[i] == d)
			group = l.group[i];
	json_t *o = device_json(t, d, gateway_of(t), group);
	pl_links_free(&l);
	return o;
}

void
pl_device_print(struct pl_device_table *t, FILE *f)
{
	json_t *r = pl_device_report(t);
	if (r == NULL)
		return;
	fprintf(f, "%-17s  %-7s  %-28s  %-20s  %-40s  %s\n", "DEVICE", "ROLE",
		"VENDOR", "NAME", "PROTOCOLS (flows)", "FINDINGS");
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(r, "devices"), i, d) {
		char protos[256] = "", findings[256] = "";
		size_t n = 0, k;
		json_t *p;
		json_array_foreach(json_object_get(d, "protocols"), k, p) {
			int w = snprintf(protos + n, sizeof(protos) - n,
					 "%s%s:%lld", n ? " " : "",
					 json_string_value(json_object_get(p, "protocol")),
					 (long long)json_integer_value(
						 json_object_get(p, "flows")));
			if (w < 0 || (size_t)w >= sizeof(protos) - n)
				break;
			n += (size_t)w;
		}
		n = 0;
		json_array_foreach(json_object_get(d, "findings"), k, p) {
			int w = snprintf(findings + n, sizeof(findings) - n,
					 "%s%s", n ? " " : "",
					 json_string_value(json_object_get(p, "rule")));
			if (w < 0 || (size_t)w >= sizeof(findings) - n)
				break;
			n += (size_t)w;
		}
		const char *vendor = json_string_value(json_object_get(d, "vendor"));
		const char *name = json_string_value(json_object_get(d, "name"));
		fprintf(f, "%-17s  %-7s  %-28.28s  %-20.20s  %-40s  %s\n",
			json_string_value(json_object_get(d, "mac")),
			json_string_value(json_object_get(d, "role")),
			vendor ? vendor
			       : json_is_true(json_object_get(d, "locally_administered"))
					 ? "(locally administered)"
					 : "-",
			name ? name : "-", protos, *findings ? findings : "-");
	}
	bool header = false;
	json_array_foreach(json_object_get(r, "devices"), i, d) {
		const char *proto;
		json_t *checks;
		json_object_foreach(json_object_get(d, "compliance"), proto, checks) {
			if (!header) {
				fprintf(f, "\n%-17s  %-5s  %s\n", "DEVICE", "PROTO",
					"CHECKS (pass, FAIL)");
				header = true;
			}
			fprintf(f, "%-17s  %-5s ",
				json_string_value(json_object_get(d, "mac")), proto);
			const char *rule;
			json_t *v;
			json_object_foreach(checks, rule, v)
				fprintf(f, " %s:%s", rule,
					strcmp(json_string_value(v), "fail") == 0
						? "FAIL" : "pass");
			fputc('\n', f);
		}
	}
	json_decref(r);
}
