/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-protocol attributes into device fingerprints. The attribute names are
 * the dissectors' (docs/attrs/, one file per protocol). What a device sends
 * describes it (its ClientHello, its queries, its DHCP options); what a
 * responder tells it (the suite a server chose, the addresses a name
 * resolved to) is counted for the originator. `side` below is the
 * direction: 0 from the originator, 1 from the responder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"

static const char *const f_section[] = {
#define PL_X(e, sec, key) sec,
	PL_DEV_FEATURES(PL_X)
#undef PL_X
};
static const char *const f_key[] = {
#define PL_X(e, sec, key) key,
	PL_DEV_FEATURES(PL_X)
#undef PL_X
};

const char *
pl_dev_feature_section(enum pl_dev_feature f)
{
	return f_section[f];
}

const char *
pl_dev_feature_key(enum pl_dev_feature f)
{
	return f_key[f];
}

void
pl_device_feature(struct pl_device *d, enum pl_dev_feature f,
		  const char *value)
{
	if (d && value && *value)
		pl_vals_add(&d->feat[f], value, 1, 0, NULL);
}

static void
name(struct pl_device *d, const char *source, const char *n)
{
	char key[512];
	if (d == NULL || n == NULL || *n == '\0')
		return;
	snprintf(key, sizeof(key), "%s\t%s", source, n);
	pl_vals_add(&d->names, key, 1, 0, NULL);
}

static const char *
str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool
integer(const json_t *o, const char *k, json_int_t *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool is_grease(json_int_t v);

/* A GREASE cipher suite as the TLS dissector writes it ("0a0a"). */
static bool
grease_hex(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && strlen(s) == 4 && is_grease(strtol(s, NULL, 16));
}

/* The elements of an array of numbers or strings, joined by commas;
 * GREASE suites left out (as JA3 does), since clients pick them at random
 * and one client would look like many. */
static void
joined(const json_t *a, char *buf, size_t size)
{
	size_t n = 0;
	size_t i;
	const json_t *v;
	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		if (grease_hex(v))
			continue;
		int w = json_is_integer(v)
			? snprintf(buf + n, size - n, "%s%lld", n ? "," : "",
				   (long long)json_integer_value(v))
			: snprintf(buf + n, size - n, "%s%s", n ? "," : "",
				   json_is_string(v) ? json_string_value(v) : "");
		if (w < 0 || (size_t)w >= size - n) {
			buf[n] = '\0';
			return;
		}
		n += (size_t)w;
	}
}

static bool
is_grease(json_int_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char *
tls_version_name(json_int_t v, char buf[16])
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default:
		snprintf(buf, 16, "0x%04llx", (unsigned long long)v & 0xffff);
		return buf;
	}
}

static void
tls(struct pl_device *sender, struct pl_device *orig, unsigned side,
    const json_t *a)
{
	char buf[4096], vb[16];
	const json_t *ch = json_object_get(a, "client_hello");
	if (json_is_object(ch) && sender) {
		pl_device_feature(sender, PL_DEV_F_TLS_JA3, str(ch, "ja3_hash"));
		pl_device_feature(sender, PL_DEV_F_TLS_JA4, str(ch, "ja4"));
		pl_device_feature(sender, PL_DEV_F_TLS_SNI, str(ch, "sni"));
		size_t i;
		const json_t *v;
		json_array_foreach(json_object_get(ch, "alpn"), i, v)
			pl_device_feature(sender, PL_DEV_F_TLS_ALPN,
					  json_string_value(v));
		const json_t *sv = json_object_get(ch, "supported_versions");
		json_int_t lv;
		if (json_is_array(sv) && json_array_size(sv) > 0) {
			json_array_foreach(sv, i, v)
				if (json_is_integer(v) &&
				    !is_grease(json_integer_value(v)))
					pl_device_feature(
						sender,
						PL_DEV_F_TLS_VERSIONS_OFFERED,
						tls_version_name(
							json_integer_value(v),
							vb));
		} else if (integer(ch, "legacy_version", &lv)) {
			pl_device_feature(sender, PL_DEV_F_TLS_VERSIONS_OFFERED,
					  tls_version_name(lv, vb));
		}
		joined(json_object_get(ch, "cipher_suites"), buf, sizeof(buf));
		pl_device_feature(sender, PL_DEV_F_TLS_CIPHERS_OFFERED, buf);
	}
	if (side != 1 || orig == NULL)
		return;
	const json_t *sh = json_object_get(a, "server_hello");
	json_int_t ver;
	if (json_is_object(sh)) {
		if (integer(sh, "version", &ver))
			pl_device_feature(orig, PL_DEV_F_TLS_VERSIONS_CHOSEN,
					  tls_version_name(ver, vb));
		pl_device_feature(orig, PL_DEV_F_TLS_CIPHERS_CHOSEN,
				  str(sh, "cipher_suite"));
		pl_device_feature(orig, PL_DEV_F_TLS_JA3S, str(sh, "ja3s_hash"));
	}
	const json_t *cert = json_object_get(a, "certificate");
	if (json_is_object(cert))
		pl_device_feature(orig, PL_DEV_F_TLS_CERT_CN,
				  str(cert, "subject_cn"));
}

static void
http(struct pl_device *sender, struct pl_device *orig, unsigned side,
     const struct pl_device_msg *m)
{
	const json_t *a = m->attrs;
	if (str(a, "method") && sender) {
		/* The request line without its query: the same API call. */
		const char *uri = str(a, "uri") ? str(a, "uri") : "";
		char key[512];
		snprintf(key, sizeof(key), "%s %s%.*s", str(a, "method"),
			 str(a, "host") ? str(a, "host") : "",
			 (int)strcspn(uri, "?"), uri);
		pl_device_poll(sender, key, m->ts_us, m->uid);
	}
	if (str(a, "method")) {
		pl_device_feature(sender, PL_DEV_F_HTTP_METHODS, str(a, "method"));
		pl_device_feature(sender, PL_DEV_F_HTTP_HOSTS, str(a, "host"));
		pl_device_feature(sender, PL_DEV_F_HTTP_USER_AGENTS,
				  str(a, "user_agent"));
		pl_device_feature(sender, PL_DEV_F_HTTP_URIS, str(a, "uri"));
		pl_device_feature(sender, PL_DEV_F_HTTP_AUTH,
				  str(a, "auth_scheme"));
	} else if (json_object_get(a, "status_code")) {
		pl_device_feature(sender, PL_DEV_F_HTTP_SERVER_SOFTWARE,
				  str(a, "server"));
		if (side == 1)
			pl_device_feature(orig, PL_DEV_F_HTTP_SERVERS,
					  str(a, "server"));
	}
}

static bool
is_service_instance(const char *n)
{
	return n && (strstr(n, "._tcp.") || strstr(n, "._udp."));
}

/* mDNS responses announce the sender's own names and addresses. */
static void
mdns_records(struct pl_device *sender, const json_t *rrs, uint64_t ts_us)
{
	size_t i;
	const json_t *rr;
	json_array_foreach(rrs, i, rr) {
		json_int_t type;
		if (!integer(rr, "type", &type))
			continue;
		if (type == 1 || type == 28) {
			struct pl_addr ad;
			name(sender, "mdns", str(rr, "name"));
			if (pl_addr_parse(str(rr, "data"), &ad) == 0)
				pl_device_addr(sender, &ad, PL_DEV_SRC_MDNS,
					       ts_us);
		} else if (type == 12 && is_service_instance(str(rr, "data"))) {
			name(sender, "dns-sd", str(rr, "data"));
		}
	}
}

static void
dns(struct pl_device *sender, struct pl_device *orig, unsigned side,
    uint16_t sport, const struct pl_device_msg *m)
{
	const json_t *a = m->attrs;
	const json_t *qr = json_object_get(a, "qr");
	size_t i;
	const json_t *v;
	if (json_is_false(qr)) {
		json_array_foreach(json_object_get(a, "questions"), i, v)
			pl_device_feature(sender, PL_DEV_F_DNS_QUERIES,
					  str(v, "name"));
		return;
	}
	if (!json_is_true(qr))
		return;
	if (sport == 5353 && sender) {
		mdns_records(sender, json_object_get(a, "answers"), m->ts_us);
		mdns_records(sender, json_object_get(a, "additionals"),
			     m->ts_us);
	}
	if (side != 1 || orig == NULL)
		return;
	/* As Zeek does: an address is named by the name the device asked. */
	const char *asked = str(json_array_get(json_object_get(a, "questions"), 0),
				"name");
	json_array_foreach(json_object_get(a, "answers"), i, v) {
		json_int_t type;
		const char *data = str(v, "data");
		if (!integer(v, "type", &type) || (type != 1 && type != 28) ||
		    data == NULL)
			continue;
		char key[512];
		snprintf(key, sizeof(key), "%s\t%s", data,
			 asked ? asked : str(v, "name") ? str(v, "name") : "");
		pl_vals_add(&orig->answers, key, 1, 0, NULL);
	}
}

static const char *
ntp_mode_name(json_int_t mode)
{
	static const char *const n[] = {"reserved", "symmetric_active",
					"symmetric_passive", "client", "server",
					"broadcast", "control", "private"};
	return mode >= 0 && mode < 8 ? n[mode] : "reserved";
}

static void
ntp(struct pl_device *sender, unsigned side, const struct pl_addr *peer,
    const json_t *a)
{
	json_int_t ver, mode;
	char buf[24];
	if (integer(a, "version", &ver)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)ver);
		pl_device_feature(sender, PL_DEV_F_NTP_VERSIONS, buf);
	}
	if (!integer(a, "mode", &mode))
		return;
	pl_device_feature(sender, PL_DEV_F_NTP_MODES, ntp_mode_name(mode));
	if (mode == 3 && side == 0 && peer) {
		char addr[46];
		pl_addr_str(peer, addr, sizeof(addr));
		pl_device_feature(sender, PL_DEV_F_NTP_SERVERS, addr);
	}
}

static void
dhcp(struct pl_device_table *t, struct pl_device *sender, uint64_t ts_us,
     const json_t *a)
{
	json_int_t op;
	uint8_t mac[6];
	struct pl_addr ad;
	struct pl_device *client = NULL;
	if (pl_device_mac_parse(str(a, "client_mac"), mac) == 0)
		client = pl_device_lookup(t, mac, true);
	if (!integer(a, "op", &op))
		return;
	if (op == 2) {
		/* The server's ACK gives the client its address. */
		const char *type = str(a, "message_type");
		if (client && type && strcmp(type, "ACK") == 0 &&
		    pl_addr_parse(str(a, "yiaddr"), &ad) == 0)
			pl_device_addr(client, &ad, PL_DEV_SRC_DHCP, ts_us);
		return;
	}
	if (op != 1)
		return;
	if (client == NULL)
		client = sender;
	if (client == NULL)
		return;
	char buf[1024];
	const json_t *prl = json_object_get(a, "parameter_request_list");
	if (json_is_array(prl)) {
		joined(prl, buf, sizeof(buf));
		pl_device_feature(client, PL_DEV_F_DHCP_FINGERPRINTS, buf);
	}
	pl_device_feature(client, PL_DEV_F_DHCP_VENDOR_CLASSES,
			  str(a, "vendor_class"));
	pl_device_feature(client, PL_DEV_F_DHCP_HOSTNAMES, str(a, "hostname"));
	pl_device_feature(client, PL_DEV_F_DHCP_CLIENT_IDS, str(a, "client_id"));
	pl_device_feature(client, PL_DEV_F_DHCP_FQDNS, str(a, "fqdn"));
	name(client, "dhcp", str(a, "hostname"));
	name(client, "dhcp-fqdn", str(a, "fqdn"));
	if (pl_addr_parse(str(a, "ciaddr"), &ad) == 0)
		pl_device_addr(client, &ad, PL_DEV_SRC_DHCP, ts_us);
}

static void
ssdp(struct pl_device *sender, const json_t *a)
{
	pl_device_feature(sender, PL_DEV_F_SSDP_NT, str(a, "nt"));
	pl_device_feature(sender, PL_DEV_F_SSDP_ST, str(a, "st"));
	pl_device_feature(sender, PL_DEV_F_SSDP_SERVERS, str(a, "server"));
	pl_device_feature(sender, PL_DEV_F_SSDP_USER_AGENTS,
			  str(a, "user_agent"));
}

static void
arp(struct pl_device_table *t, uint64_t ts_us, const json_t *a)
{
	uint8_t mac[6];
	struct pl_addr ad;
	if (pl_device_mac_parse(str(a, "sender_mac"), mac) != 0 ||
	    pl_addr_parse(str(a, "sender_ip"), &ad) != 0)
		return;
	struct pl_device *d = pl_device_lookup(t, mac, true);
	if (d)
		pl_device_addr(d, &ad, PL_DEV_SRC_ARP, ts_us);
}

int
pl_device_add_message(struct pl_device_table *t, const struct pl_device_msg *m)
{
	uint64_t dropped = t->dropped, nomem = t->no_memory;
	const char *p = m->proto;
	if (p == NULL || !json_is_object(m->attrs))
		return 0;
	if (m->ts_us > t->last_us)
		t->last_us = m->ts_us;
	bool ip = m->key->family != PL_FAMILY_L2;
	bool from_orig = m->side == m->orig_side;
	unsigned dir = from_orig ? 0 : 1;
	struct pl_addr sa, da;
	if (ip) {
		pl_addr_of_key(m->key, m->side, &sa);
		pl_addr_of_key(m->key, !m->side, &da);
	}
	struct pl_device *sender = pl_device_lookup(t, m->src_mac, true);
	if (sender && ip)
		pl_device_note_global(sender, &sa);
	if (sender && ip &&
	    !(from_orig ? pl_device_owns(sender, &sa)
		       /* a remote server's answers come from behind the
		        * gateway's MAC */
		       : pl_device_surely_owns(sender, &sa)))
		sender = NULL;
	struct pl_device *orig = sender;
	if (!from_orig) {
		/* Only a MAC that sent is a device (the originator of a flow
		 * captured one way may never have). */
		orig = pl_device_lookup(t, m->dst_mac, false);
		if (orig && ip && !pl_device_owns(orig, &da))
			orig = NULL;
	}

	if (strcmp(p, "tls") == 0)
		tls(sender, orig, dir, m->attrs);
	else if (strcmp(p, "http") == 0)
		http(sender, orig, dir, m);
	else if (strcmp(p, "dns") == 0)
		dns(sender, orig, dir, m->key->port[m->side], m);
	else if (strcmp(p, "ntp") == 0)
		ntp(sender, dir, ip ? &da : NULL, m->attrs);
	else if (strcmp(p, "dhcp") == 0)
		dhcp(t, sender, m->ts_us, m->attrs);
	else if (strcmp(p, "ssdp") == 0)
		ssdp(sender, m->attrs);
	else if (strcmp(p, "arp") == 0)
		arp(t, m->ts_us, m->attrs);
	if (t->dropped != dropped)
		return -ENOSPC;
	return t->no_memory != nomem ? -ENOMEM : 0;
}
