/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/device: the IEEE registry reader (crafted CSV files
 * with the quirks of the real ones, and the installed registry), address
 * classes, the table's bound, and flows with their attributes into device
 * entries, read back through the report. Attribute objects are written
 * here as the dissectors document them (docs/attrs/).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "device-internal.h"

/* ------------------------------------------------------------------ OUI */

static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void
make_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pl_oui_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static const char *HDR = "Registry,Assignment,Organization Name,Organization Address\r\n";

static void
crafted_registry(void)
{
	make_dir();
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "%sMA-L,001122,\"Acme, Inc.\",\"1 Road\r\nTown\"\r\n"
		 "MA-L,70B3D5,IEEE Registration Authority,Piscataway\r\n"
		 "MA-L,AABBCC,\"Quote \"\"Q\"\" Ltd\",X\r\n", HDR);
	write_file("oui.csv", buf);
	snprintf(buf, sizeof(buf), "%sMA-M,70B3D57,Mid Corp,Y\r\n", HDR);
	write_file("mam.csv", buf);
	snprintf(buf, sizeof(buf), "%sMA-S,70B3D57F2,Small GmbH,Z\r\n", HDR);
	write_file("oui36.csv", buf);
}

Test(oui, crafted_quirks_and_longest_prefix)
{
	char err[256];
	crafted_registry();
	struct pl_oui *o = pl_oui_load(tmpdir, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	cr_assert_eq(pl_oui_count(o), 5);
	const char *reg;
	uint8_t a[6] = {0x00, 0x11, 0x22, 0x01, 0x02, 0x03};
	cr_assert_str_eq(pl_oui_vendor(o, a, &reg), "Acme, Inc.");
	cr_assert_str_eq(reg, "MA-L");
	uint8_t q[6] = {0xaa, 0xbb, 0xcc, 0, 0, 1};
	cr_assert_str_eq(pl_oui_vendor(o, q, NULL), "Quote \"Q\" Ltd");
	uint8_t s[6] = {0x70, 0xb3, 0xd5, 0x7f, 0x2a, 0xbc}; /* 70B3D57F2 */
	cr_assert_str_eq(pl_oui_vendor(o, s, &reg), "Small GmbH");
	cr_assert_str_eq(reg, "MA-S");
	uint8_t m[6] = {0x70, 0xb3, 0xd5, 0x71, 0x00, 0x00}; /* 70B3D57, not F2 */
	cr_assert_str_eq(pl_oui_vendor(o, m, &reg), "Mid Corp");
	cr_assert_str_eq(reg, "MA-M");
	uint8_t l[6] = {0x70, 0xb3, 0xd5, 0x10, 0x00, 0x00};
	cr_assert_str_eq(pl_oui_vendor(o, l, &reg),
			 "IEEE Registration Authority");
	uint8_t none[6] = {0x12, 0x34, 0x56, 0, 0, 0};
	cr_assert_null(pl_oui_vendor(o, none, NULL));
	pl_oui_free(o);
}

Test(oui, errors_name_file_and_line)
{
	char err[256], buf[512];
	crafted_registry();
	snprintf(buf, sizeof(buf), "%sMA-M,70B3D5,Short,Y\r\n", HDR);
	write_file("mam.csv", buf);
	cr_assert_null(pl_oui_load(tmpdir, err, sizeof(err)));
	cr_assert(strstr(err, "mam.csv:2: expected registry MA-M and an "
			      "assignment of 7 hex digits"), "%s", err);

	snprintf(buf, sizeof(buf), "%sMA-M,70B3D57,\"open\r\n", HDR);
	write_file("mam.csv", buf);
	cr_assert_null(pl_oui_load(tmpdir, err, sizeof(err)));
	cr_assert(strstr(err, "mam.csv:2: expected 4 comma-separated fields"),
		  "%s", err);

	write_file("mam.csv", "Name,Value\r\n");
	cr_assert_null(pl_oui_load(tmpdir, err, sizeof(err)));
	cr_assert(strstr(err, "mam.csv:1: expected"), "%s", err);

	cr_assert_null(pl_oui_load("/nonexistent", err, sizeof(err)));
	cr_assert(strstr(err, "/nonexistent/oui36.csv: cannot read"), "%s", err);
}

/* The installed registry: its first assignment, read here by hand. */
Test(oui, installed_registry)
{
	char err[256], line[512];
	struct pl_oui *o = pl_oui_load("/usr/share/ieee-data", err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	cr_assert_gt(pl_oui_count(o), 30000);
	FILE *f = fopen("/usr/share/ieee-data/oui.csv", "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	/* "MA-L,002272,American Micro-Fuel Device Corp.,..." */
	unsigned b[3];
	char name[128];
	cr_assert_eq(sscanf(line, "MA-L,%2x%2x%2x,%127[^,]", &b[0], &b[1],
			    &b[2], name), 4);
	uint8_t mac[6] = {(uint8_t)b[0], (uint8_t)b[1], (uint8_t)b[2], 9, 9, 9};
	cr_assert_str_eq(pl_oui_vendor(o, mac, NULL), name);
	pl_oui_free(o);
}

/* ------------------------------------------------------------ addresses */

Test(addr, special_ranges)
{
	static const struct {
		const char *a;
		bool special;
	} cases[] = {
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"172.32.0.1", false},
		{"192.168.1.100", true}, {"100.64.0.1", true},
		{"100.128.0.1", false}, {"169.254.1.1", true},
		{"192.0.2.10", true}, {"224.0.0.251", true},
		{"255.255.255.255", true}, {"8.8.8.8", false},
		{"52.94.236.248", false}, {"fe80::1", true}, {"fd00::1", true},
		{"ff02::fb", true}, {"2001:db8::1", true}, {"::1", true},
		{"2a00:1450:4001::1", false}, {"::ffff:8.8.8.8", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pl_addr a;
		cr_assert_eq(pl_addr_parse(cases[i].a, &a), 0, "%s", cases[i].a);
		cr_expect_eq(pl_addr_is_special(&a), cases[i].special, "%s",
			     cases[i].a);
	}
	struct pl_addr a;
	cr_assert_eq(pl_addr_parse("not-an-address", &a), -EINVAL);
}

Test(addr, mac_parse)
{
	uint8_t m[6];
	cr_assert_eq(pl_device_mac_parse("02:00:5E:10:00:0a", m), 0);
	cr_assert_eq(m[0], 2);
	cr_assert_eq(m[5], 10);
	cr_assert_eq(pl_device_mac_parse("02-00-5e-10-00-0a", m), 0);
	cr_assert_eq(pl_device_mac_parse("02:00:5e:10:00", m), -EINVAL);
	cr_assert_eq(pl_device_mac_parse("02:00-5e:10:00:0a", m), -EINVAL);
	cr_assert_eq(pl_device_mac_parse(NULL, m), -EINVAL);
}

/* ---------------------------------------------------------------- flows */

static const uint8_t DEV[6] = {0x24, 0x6f, 0x28, 0xd9, 0xa7, 0x64};
static const uint8_t GW[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t RND1[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t RND2[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x03};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct pl_flow_record
record(const uint8_t *omac, const char *oa, uint16_t op, const uint8_t *rmac,
       const char *ra, uint16_t rp, uint8_t proto, uint64_t t_us)
{
	struct pl_flow_record r = {0};
	struct pl_addr a, b;
	cr_assert_eq(pl_addr_parse(oa, &a), 0);
	cr_assert_eq(pl_addr_parse(ra, &b), 0);
	r.key.family = a.family == 6 ? PL_FAMILY_IPV6 : PL_FAMILY_IPV4;
	r.key.proto = proto;
	/* Originator on key side 1, so that orientation is exercised. */
	r.orig_side = 1;
	memcpy(r.key.addr[1], a.a, 16);
	memcpy(r.key.addr[0], b.a, 16);
	r.key.port[1] = op;
	r.key.port[0] = rp;
	memcpy(r.mac[0], omac, 6);
	memcpy(r.mac[1], rmac, 6);
	r.pkts[0] = 3;
	r.bytes[0] = 300;
	r.pkts[1] = 2;
	r.bytes[1] = 1200;
	r.first_us = t_us;
	r.last_us = t_us + 1000;
	return r;
}

static struct pl_device_table *
table(uint32_t max)
{
	struct pl_device_config c = {.max_devices = max, .top = 10};
	struct pl_device_table *t = pl_device_table_create(&c);
	cr_assert_not_null(t);
	return t;
}

static json_t *
device_of(struct pl_device_table *t, const uint8_t *mac)
{
	json_t *d = pl_device_get(t, mac);
	cr_assert_not_null(d);
	return d;
}

static json_int_t
path_int(json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* The count of value in a fingerprint list, 0 if absent. */
static json_int_t
feature_count(json_t *dev, const char *sec, const char *key, const char *value)
{
	json_t *l = json_object_get(
		json_object_get(json_object_get(dev, "fingerprint"), sec), key);
	size_t i;
	json_t *v;
	json_array_foreach(l, i, v)
		if (strcmp(json_string_value(json_object_get(v, "value")),
			   value) == 0)
			return json_integer_value(json_object_get(v, "count"));
	return 0;
}

/* A message of a flow: from its originator (orig) or its responder. */
static void
message(struct pl_device_table *t, const struct pl_flow_record *r,
	const char *proto, bool orig, const uint8_t *src, const char *json)
{
	json_error_t e;
	struct pl_device_msg m = {.proto = proto, .key = &r->key,
				  .orig_side = r->orig_side,
				  .ts_us = r->first_us};
	m.side = orig ? r->orig_side : !r->orig_side;
	memcpy(m.src_mac, src ? src : r->mac[!orig], 6);
	memcpy(m.dst_mac, r->mac[orig], 6);
	m.attrs = json_loads(json, 0, &e);
	cr_assert_not_null(m.attrs, "%s", e.text);
	cr_assert_eq(pl_device_add_message(t, &m), 0);
	json_decref((json_t *)m.attrs);
}

static void
add(struct pl_device_table *t, const struct pl_flow_record *r,
    const char *proto, bool std, const char *orig_json, const char *resp_json)
{
	if (orig_json)
		message(t, r, proto, true, NULL, orig_json);
	if (resp_json)
		message(t, r, proto, false, NULL, resp_json);
	struct pl_device_flow f = {.rec = r, .proto = proto, .std_port = std};
	cr_assert_eq(pl_device_add_flow(t, &f), 0);
}

Test(device, traffic_protocols_and_dns)
{
	struct pl_device_table *t = table(16);
	struct pl_flow_record r = record(DEV, "192.168.1.10", 40000, GW,
					 "192.168.1.1", 53, 17, 3600000000ULL);
	add(t, &r, "dns", true,
	    "{\"qr\":false,\"questions\":[{\"name\":\"a.example\",\"type\":1}]}",
	    "{\"qr\":true,\"questions\":[{\"name\":\"a.example\",\"type\":1}],"
	    "\"answers\":[{\"name\":\"a.example\",\"type\":1,\"data\":\"52.1.2.3\"}]}");
	r = record(DEV, "192.168.1.10", 40001, GW, "192.168.1.1", 53, 17,
		   3600000000ULL * 2 + 5);
	add(t, &r, "dns", true,
	    "{\"qr\":false,\"questions\":[{\"name\":\"a.example\",\"type\":28}]}",
	    NULL);
	r = record(DEV, "192.168.1.10", 40002, GW, "52.1.2.3", 8443, 6,
		   3600000000ULL * 2 + 9);
	add(t, &r, "tls", false,
	    "{\"client_hello\":{\"legacy_version\":771,\"supported_versions\":"
	    "[2570,772,771],\"cipher_suites\":[\"1301\",\"c02f\"],"
	    "\"sni\":\"a.example\",\"ja3_hash\":\"abc\",\"ja4\":\"t13d\"}}",
	    "{\"server_hello\":{\"version\":772,\"cipher_suite\":\"1301\"}}");

	json_t *d = device_of(t, DEV);
	cr_assert_eq(path_int(d, "traffic", "flows"), 3);
	cr_assert_eq(path_int(d, "traffic", "bytes_sent"), 900);
	cr_assert_eq(path_int(d, "traffic", "bytes_received"), 3600);
	cr_assert_eq(feature_count(d, "dns", "queries", "a.example"), 2);
	cr_assert_eq(feature_count(d, "tls", "versions_offered", "TLS 1.3"), 1);
	cr_assert_eq(feature_count(d, "tls", "versions_offered", "TLS 1.2"), 1);
	cr_assert_eq(feature_count(d, "tls", "versions_offered", "0x0a0a"), 0,
		     "GREASE is not a version");
	cr_assert_eq(feature_count(d, "tls", "cipher_lists_offered", "1301,c02f"), 1);
	cr_assert_eq(feature_count(d, "tls", "versions_chosen", "TLS 1.3"), 1);
	cr_assert_eq(feature_count(d, "tls", "sni", "a.example"), 1);

	/* dns twice on its standard port, tls once on another */
	json_t *p = json_object_get(d, "protocols");
	cr_assert_eq(json_array_size(p), 2);
	json_t *dns = json_array_get(p, 0), *tls = json_array_get(p, 1);
	cr_assert_str_eq(json_string_value(json_object_get(dns, "protocol")), "dns");
	cr_assert_eq(path_int(dns, "std_port", "flows"), 2);
	cr_assert_eq(path_int(tls, "other_port", "flows"), 1);
	cr_assert_eq(path_int(tls, "std_port", "flows"), 0);

	/* Two hours: the first flow's, the other two's. */
	json_t *h = json_object_get(d, "hourly");
	cr_assert_eq(json_array_size(h), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(h, 0), "start")), 3600);
	cr_assert_eq(path_int(json_array_get(h, 1), "protocols", "tls"), 1500);

	/* The TLS server's address is named by the DNS answer; it is behind
	 * GW, which has a private and a routable IPv4 address: the gateway. */
	json_t *svc = json_object_get(d, "remote_services");
	bool named = false;
	size_t i;
	json_t *s;
	json_array_foreach(svc, i, s)
		if (strcmp(json_string_value(json_object_get(s, "address")), "52.1.2.3") == 0)
			named = strcmp(json_string_value(json_array_get(
					       json_object_get(s, "names"), 0)),
				       "a.example") == 0;
	cr_assert(named, "%s", json_dumps(svc, 0));
	json_decref(d);
	pl_device_table_free(t);
}

Test(device, gateway_remote_hosts_and_external_bytes)
{
	struct pl_device_table *t = table(16);
	char addr[32];
	/* Remote servers, each behind the gateway's MAC. */
	for (int i = 0; i < 12; i++) {
		snprintf(addr, sizeof(addr), "52.0.%d.%d", i, i + 1);
		struct pl_flow_record r = record(DEV, "192.168.1.10",
						 (uint16_t)(40000 + i), GW, addr,
						 443, 6, 1000000);
		add(t, &r, "tls", true, NULL, NULL);
	}
	struct pl_flow_record r = record(DEV, "192.168.1.10", 50000, RND1,
					 "192.168.1.20", 80, 6, 1000000);
	add(t, &r, "http", true, NULL, NULL);

	json_t *rep = pl_device_report(t);
	cr_assert_not_null(rep);
	char gw[18];
	pl_pkt_mac_str(GW, gw);
	cr_assert_str_eq(json_string_value(json_object_get(rep, "gateway")), gw);
	json_t *d = device_of(t, DEV);
	cr_assert_eq(path_int(d, "traffic", "external_bytes"), 12 * 1500);
	cr_assert_eq(path_int(d, "traffic", "internal_bytes"), 1500);
	cr_assert_eq(json_array_size(json_object_get(d, "remote_services")), 10,
		     "top 10 of 12");
	cr_assert_eq(json_array_size(json_object_get(d, "local_services")), 1);
	json_t *g = device_of(t, GW);
	cr_assert_str_eq(json_string_value(json_object_get(g, "role")), "gateway");
	/* The remote hosts are not the gateway's addresses, nor devices. */
	cr_assert_eq(json_array_size(json_object_get(g, "addresses")), 0);
	cr_assert_eq(pl_device_count(t), 3);
	json_decref(g);
	json_decref(d);
	json_decref(rep);
	pl_device_table_free(t);
}

Test(device, bound_is_counted)
{
	struct pl_device_table *t = table(2);
	struct pl_flow_record r = record(DEV, "10.0.0.1", 1, GW, "10.0.0.2", 2,
					 17, 1);
	add(t, &r, NULL, false, NULL, NULL);
	r = record(RND1, "10.0.0.3", 1, GW, "10.0.0.2", 2, 17, 1);
	struct pl_device_flow f = {.rec = &r};
	cr_assert_eq(pl_device_add_flow(t, &f), -ENOSPC);
	cr_assert_eq(pl_device_count(t), 2);
	cr_assert_eq(pl_device_dropped(t), 1);
	/* A broadcast destination is never a device. */
	cr_assert_null(pl_device_lookup(t, BCAST, true));
	struct pl_device_config bad = {.max_devices = 0};
	cr_assert_null(pl_device_table_create(&bad));
	cr_assert_eq(errno, EINVAL);
	pl_device_table_free(t);
}

/* Two randomised MACs of one client, DHCP from 0.0.0.0 in one shared flow. */
Test(device, randomised_macs_linked_by_dhcp)
{
	struct pl_device_table *t = table(16);
	static const char *dhcp1 =
		"{\"op\":1,\"client_mac\":\"02:00:5e:10:00:01\",\"message_type\":"
		"\"DISCOVER\",\"hostname\":\"lab-sensor\",\"parameter_request_list\":"
		"[1,28,3]}";
	static const char *dhcp2 =
		"{\"op\":1,\"client_mac\":\"02:00:5e:10:00:03\",\"message_type\":"
		"\"DISCOVER\",\"hostname\":\"lab-sensor\",\"parameter_request_list\":"
		"[1,28,3]}";
	static const char *ack =
		"{\"op\":2,\"client_mac\":\"02:00:5e:10:00:03\",\"message_type\":"
		"\"ACK\",\"yiaddr\":\"192.0.2.124\"}";
	/* A global MAC with the same host name is not linked. */
	static const char *dhcp3 =
		"{\"op\":1,\"client_mac\":\"24:6f:28:d9:a7:64\",\"hostname\":"
		"\"lab-sensor\"}";
	struct pl_flow_record r = record(RND2, "0.0.0.0", 68, BCAST,
					 "255.255.255.255", 67, 17, 5);
	message(t, &r, "dhcp", true, RND1, dhcp1);
	message(t, &r, "dhcp", true, RND2, dhcp2);
	message(t, &r, "dhcp", true, DEV, dhcp3);
	message(t, &r, "dhcp", true, GW, ack);
	struct pl_device_flow f = {.rec = &r, .proto = "dhcp", .std_port = true};
	cr_assert_eq(pl_device_add_flow(t, &f), 0);

	json_t *rep = pl_device_report(t);
	json_t *links = json_object_get(rep, "links");
	cr_assert_eq(json_array_size(links), 1, "%s", json_dumps(links, 0));
	json_t *l = json_array_get(links, 0);
	json_t *macs = json_object_get(l, "macs");
	cr_assert_eq(json_array_size(macs), 2);
	cr_assert_str_eq(json_string_value(json_array_get(macs, 0)), "02:00:5e:10:00:01");
	cr_assert_str_eq(json_string_value(json_array_get(macs, 1)), "02:00:5e:10:00:03");
	bool host = false;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(l, "evidence"), i, e)
		host |= strcmp(json_string_value(json_object_get(e, "kind")), "dhcp_hostname") == 0 &&
			strcmp(json_string_value(json_object_get(e, "value")), "lab-sensor") == 0;
	cr_assert(host);
	json_t *d = device_of(t, RND2);
	cr_assert_str_eq(json_string_value(json_object_get(d, "linked")), "L1");
	cr_assert_str_eq(json_string_value(json_object_get(d, "name")), "lab-sensor");
	cr_assert(json_is_true(json_object_get(d, "locally_administered")));
	json_t *a = json_array_get(json_object_get(d, "addresses"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(a, "address")), "192.0.2.124");
	json_t *g = device_of(t, DEV);
	cr_assert_null(json_object_get(g, "linked"));
	json_decref(g);
	json_decref(d);
	json_decref(rep);
	pl_device_table_free(t);
}

Test(device, findings_counted_per_rule)
{
	static const struct pl_device_rule rules[] = {
		{"tls", "tls-old"}, {"tls", "tls-weak"}, {"http", "http-basic"}};
	struct pl_device_config c = {.max_devices = 4, .rules = rules,
				     .nb_rules = 3};
	struct pl_device_table *t = pl_device_table_create(&c);
	cr_assert_not_null(t);
	struct pl_flow_record r = record(DEV, "192.168.1.10", 40000, GW,
					 "52.1.2.3", 443, 6, 2000000);
	add(t, &r, "tls", true, NULL, NULL);
	cr_assert_eq(pl_device_add_finding(t, &r, 0, "tls", "tls-old", "high",
					   "TLS 1.0", "Cabc"), 0);
	struct pl_flow_record r2 = r;
	r2.first_us = 1000000;
	cr_assert_eq(pl_device_add_finding(t, &r2, 0, "tls", "tls-old", "high",
					   "TLS 1.1", "Cdef"), 0);
	/* The responder is a remote host... until the gateway is known, its
	 * MAC's: a group MAC never is a device. */
	struct pl_flow_record m = record(DEV, "192.168.1.10", 1900, BCAST,
					 "239.255.255.250", 1900, 17, 1);
	add(t, &m, "ssdp", true, NULL, NULL);
	cr_assert_eq(pl_device_add_finding(t, &m, 1, "ssdp", "x", "low", "",
					   "C"), -ENOENT);
	json_t *d = device_of(t, DEV);
	json_t *f = json_array_get(json_object_get(d, "findings"), 0);
	cr_assert_eq(json_integer_value(json_object_get(f, "count")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(f, "value")), "TLS 1.0");
	cr_assert_eq(json_real_value(json_object_get(f, "first_seen")), 1.0);
	cr_assert_eq(json_array_size(json_object_get(f, "example_uids")), 2);
	/* Compliance: the device spoke TLS and SSDP, not HTTP. */
	json_t *comp = json_object_get(d, "compliance");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(comp, "tls"), "tls-old")), "fail");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(comp, "tls"), "tls-weak")), "pass");
	cr_assert_null(json_object_get(comp, "http"));
	json_decref(d);
	pl_device_table_free(t);
}
