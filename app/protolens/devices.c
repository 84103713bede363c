/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's device table (lib/device): every attribute message goes in as
 * it arrives and every flow's traffic when it ends, devices.json comes out
 * every --export-interval and at the end, and telemetry reads it while the
 * run goes on. Telemetry answers on its own thread, so the table is behind
 * a mutex that control holds per message or record: uncontended, it costs
 * nothing next to parsing the attributes. The mutex is static, as the table is one per process, so
 * that a telemetry call racing with the end of the run finds no table
 * rather than a freed one.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "device.h"
#include "export.h"
#include "policy.h"
#include "protolens.h"

struct pl_devices {
	struct pl_app *app;
	struct pl_device_table *table;
	struct pl_device_rule *rules; /* the policy's, for compliance */
	uint64_t latest_us;    /* latest packet time of messages and records */
	uint64_t interval_us;  /* 0: at the end only */
	uint64_t next_us;      /* time of the next export, 0 = not set */
	uint64_t reports;      /* devices.json written */
	uint64_t bad_attrs;    /* attribute texts that did not parse */
	int write_error;
};

static int write_report(struct pl_devices *d);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_devices *tel_devices; /* under lock */

struct pl_devices *
pl_devices_create(struct pl_app *app)
{
	struct pl_devices *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	struct pl_device_config c = {.max_devices = app->opt.max_devices,
				     .top = app->opt.top,
				     .oui = app->oui};
	unsigned n = pl_policy_rule_count(app->policy);
	d->rules = calloc(n + 1, sizeof(*d->rules));
	if (d->rules == NULL) {
		free(d);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct pl_rule_info *ri = pl_policy_rule(app->policy, i);
		d->rules[i] = (struct pl_device_rule){ri->model, ri->id};
	}
	/* The device table's own check, on every device's HTTP requests. */
	if (app->models)
		d->rules[n++] = (struct pl_device_rule){"http", PL_DEVICE_POLL_RULE};
	c.rules = d->rules;
	c.nb_rules = n;
	d->app = app;
	d->table = pl_device_table_create(&c);
	if (d->table == NULL) {
		free(d->rules);
		free(d);
		return NULL;
	}
	d->interval_us = (uint64_t)app->opt.export_interval * 1000000ULL;
	return d;
}

void
pl_devices_free(struct pl_devices *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (tel_devices == d)
		tel_devices = NULL;
	pthread_mutex_unlock(&lock);
	pl_device_table_free(d->table);
	free(d->rules);
	free(d);
}

/* The report is due every interval of trace time (with capture
 * timestamps: time moves with the packets, whatever the wall clock does)
 * or of wall time (without: the workers stamp packets with it). */
static void
export_if_due(struct pl_devices *d, uint64_t now)
{
	if (d->interval_us == 0 || now == 0)
		return;
	if (d->next_us == 0)
		d->next_us = now + d->interval_us;
	if (now < d->next_us)
		return;
	write_report(d);
	d->next_us = now + d->interval_us;
}

/* Trace time moves on: a report due before this message or record is
 * written before it is counted. */
static void
advance(struct pl_devices *d, uint64_t ts_us)
{
	if (ts_us <= d->latest_us)
		return;
	d->latest_us = ts_us;
	if (d->app->ts_offset >= 0)
		export_if_due(d, ts_us);
}

void
pl_devices_tick(struct pl_devices *d)
{
	if (d != NULL && d->app->ts_offset < 0)
		export_if_due(d, rte_get_tsc_cycles() /
					 (rte_get_tsc_hz() / 1000000));
}

static const char *
proto_of(const struct pl_app *app, const struct pl_flow_key *k, unsigned app_id,
	 bool *std)
{
	*std = false;
	if (app_id == PL_ATTR_APP_ARP ||
	    (k->family == PL_FAMILY_L2 && k->port[0] == 0x0806))
		return "arp";
	if (app_id == 0 || app->models == NULL)
		return NULL;
	unsigned m = app_id - 1u;
	*std = pl_model_std_port(app->models, m, k->port[0]) ||
	       pl_model_std_port(app->models, m, k->port[1]);
	return pl_model_name(app->models, m);
}

void
pl_devices_message(struct pl_devices *d, unsigned worker,
		   const struct pl_attr_msg *msg)
{
	char uid[PL_UID_LEN];
	bool std;
	if (d == NULL)
		return;
	/* The writer escapes a NUL byte as \u0000, which jansson refuses
	 * unless told. */
	json_t *j = json_loadb(msg->json, msg->len, JSON_ALLOW_NUL, NULL);
	if (j == NULL) {
		d->bad_attrs++;
		return;
	}
	struct pl_device_msg m = {
		.attrs = j,
		.proto = proto_of(d->app, &msg->key, msg->app, &std),
		.key = &msg->key,
		.side = msg->side,
		.orig_side = msg->orig_side,
		.ttl = msg->ttl,
		.ts_us = msg->ts_us,
		.uid = uid,
	};
	pl_export_uid(worker, msg->seq, uid);
	memcpy(m.src_mac, msg->mac, 6);
	memcpy(m.dst_mac, msg->dst_mac, 6);
	advance(d, msg->ts_us);
	pthread_mutex_lock(&lock);
	pl_device_add_message(d->table, &m);
	pthread_mutex_unlock(&lock);
	json_decref(j);
}

void
pl_devices_flow(struct pl_devices *d, const struct pl_flow_record *r)
{
	struct pl_device_flow f = {.rec = r};
	if (d == NULL)
		return;
	f.proto = proto_of(d->app, &r->key, r->app, &f.std_port);
	advance(d, r->last_us);
	pthread_mutex_lock(&lock);
	pl_device_add_flow(d->table, &f);
	pthread_mutex_unlock(&lock);
}

int
pl_devices_finding(struct pl_devices *d, const struct pl_flow_record *r,
		   unsigned side, const struct pl_rule_info *rule,
		   const char *value)
{
	char uid[PL_UID_LEN];
	if (d == NULL)
		return -ENOENT;
	pl_export_uid(r->worker, r->seq, uid);
	pthread_mutex_lock(&lock);
	int rc = pl_device_add_finding(d->table, r, side, rule->model, rule->id,
				       rule->severity, value, uid);
	pthread_mutex_unlock(&lock);
	return rc;
}

static int
write_report(struct pl_devices *d)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/devices.json", d->app->opt.out_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	pthread_mutex_lock(&lock);
	json_t *r = pl_device_report(d->table);
	pthread_mutex_unlock(&lock);
	if (r == NULL) {
		fprintf(stderr, "protolens: %s: no memory for the report\n", path);
		return -ENOMEM;
	}
	json_object_set_new(r, "generated_at", json_integer((json_int_t)time(NULL)));
	int rc = 0;
	/* Readers see the previous report or this one, never half of one. */
	if (json_dump_file(r, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 ||
	    rename(tmp, path) != 0) {
		rc = -errno;
		if (!d->write_error)
			fprintf(stderr, "protolens: %s: cannot write: %s\n", path,
				strerror(errno));
		d->write_error = errno ? errno : EIO;
	} else {
		d->reports++;
	}
	json_decref(r);
	return rc;
}

int
pl_devices_finish(struct pl_devices *d, json_t *summary)
{
	int rc = write_report(d);
	json_t *s = json_object();
	pthread_mutex_lock(&lock);
	json_object_set_new(s, "devices", json_integer((json_int_t)pl_device_count(d->table)));
	json_object_set_new(s, "dropped", json_integer((json_int_t)pl_device_dropped(d->table)));
	json_object_set_new(s, "reports_written", json_integer((json_int_t)d->reports));
	json_object_set_new(s, "attributes_unparsed", json_integer((json_int_t)d->bad_attrs));
	json_object_set_new(summary, "devices", s);
	pthread_mutex_unlock(&lock);
	return rc;
}

void
pl_devices_print(struct pl_devices *d, FILE *f)
{
	pthread_mutex_lock(&lock);
	pl_device_print(d->table, f);
	pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------ telemetry */

static void
add_str(struct rte_tel_data *t, const char *name, const json_t *v)
{
	if (json_is_string(v))
		rte_tel_data_add_dict_string(t, name, json_string_value(v));
}

/* An array container of strings made by fmt from each element of a. */
static void
add_list(struct rte_tel_data *t, const char *name, const json_t *a,
	 void (*fmt)(const json_t *e, char *buf, size_t size))
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	if (c == NULL)
		return;
	rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
	size_t i;
	const json_t *e;
	json_array_foreach(a, i, e) {
		char buf[RTE_TEL_MAX_STRING_LEN];
		if (i == RTE_TEL_MAX_ARRAY_ENTRIES)
			break;
		fmt(e, buf, sizeof(buf));
		rte_tel_data_add_array_string(c, buf);
	}
	if (rte_tel_data_add_dict_container(t, name, c, 0) != 0)
		rte_tel_data_free(c);
}

static void
fmt_address(const json_t *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s", json_string_value(json_object_get(e, "address")));
}

static void
fmt_protocol(const json_t *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%" JSON_INTEGER_FORMAT,
		 json_string_value(json_object_get(e, "protocol")),
		 json_integer_value(json_object_get(e, "flows")));
}

static void
fmt_name(const json_t *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", json_string_value(json_object_get(e, "source")),
		 json_string_value(json_object_get(e, "name")));
}

static void
fmt_finding(const json_t *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%" JSON_INTEGER_FORMAT,
		 json_string_value(json_object_get(e, "rule")),
		 json_integer_value(json_object_get(e, "count")));
}

static void
fmt_service(const json_t *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s:%" JSON_INTEGER_FORMAT,
		 json_string_value(json_object_get(e, "address")),
		 json_string_value(json_object_get(e, "protocol")),
		 json_integer_value(json_object_get(e, "flows")));
}

static int
devices_cmd(const char *cmd, const char *params, struct rte_tel_data *t)
{
	(void)cmd;
	(void)params;
	struct rte_tel_data *macs = rte_tel_data_alloc();
	if (macs == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(t);
	rte_tel_data_start_array(macs, RTE_TEL_STRING_VAL);
	json_t *r = NULL;
	pthread_mutex_lock(&lock);
	if (tel_devices)
		r = pl_device_report(tel_devices->table);
	pthread_mutex_unlock(&lock);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, "devices"), i, e)
		if (i < RTE_TEL_MAX_ARRAY_ENTRIES)
			rte_tel_data_add_array_string(
				macs, json_string_value(json_object_get(e, "mac")));
	rte_tel_data_add_dict_u64(t, "count",
				  (uint64_t)json_integer_value(json_object_get(r, "devices_count")));
	rte_tel_data_add_dict_u64(t, "dropped",
				  (uint64_t)json_integer_value(json_object_get(r, "devices_dropped")));
	add_str(t, "gateway", json_object_get(r, "gateway"));
	rte_tel_data_add_dict_container(t, "macs", macs, 0);
	json_decref(r);
	return 0;
}

static int
device_cmd(const char *cmd, const char *params, struct rte_tel_data *t)
{
	uint8_t mac[6];
	(void)cmd;
	if (params == NULL || pl_device_mac_parse(params, mac) != 0)
		return -EINVAL;
	json_t *o = NULL;
	pthread_mutex_lock(&lock);
	if (tel_devices)
		o = pl_device_get(tel_devices->table, mac);
	pthread_mutex_unlock(&lock);
	if (o == NULL)
		return -ENOENT;
	rte_tel_data_start_dict(t);
	static const char *const strs[] = {"mac", "role", "vendor", "name", "linked"};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		add_str(t, strs[i], json_object_get(o, strs[i]));
	rte_tel_data_add_dict_int(t, "locally_administered",
				  json_is_true(json_object_get(o, "locally_administered")));
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(o, "traffic"), key, v)
		rte_tel_data_add_dict_u64(t, key, (uint64_t)json_integer_value(v));
	add_list(t, "addresses", json_object_get(o, "addresses"), fmt_address);
	add_list(t, "names", json_object_get(o, "names"), fmt_name);
	add_list(t, "protocols", json_object_get(o, "protocols"), fmt_protocol);
	add_list(t, "remote_services", json_object_get(o, "remote_services"), fmt_service);
	add_list(t, "findings", json_object_get(o, "findings"), fmt_finding);
	json_decref(o);
	return 0;
}

int
pl_devices_telemetry_init(struct pl_devices *d)
{
	pthread_mutex_lock(&lock);
	tel_devices = d;
	pthread_mutex_unlock(&lock);
	int rc = rte_telemetry_register_cmd(
		"/protolens/devices", devices_cmd,
		"Devices seen so far: count, gateway and MACs. Takes no parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
			"/protolens/device", device_cmd,
			"One device: identity, traffic, addresses, names, "
			"protocols, remote services, findings. Parameter: MAC");
	return rc;
}
