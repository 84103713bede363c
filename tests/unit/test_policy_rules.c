/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/policy/rules.c: the best-practices sections of model
 * files (the project's own, and rules written here into a copy of its NTP
 * model) compiled and checked on attribute objects written as the
 * dissectors document them (docs/attrs/).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "policy.h"

static char dir[64];
static struct pl_model_set *models;
static struct pl_cipher_registry *ciphers;
static char err[1024];

/* A model set of one model: the project's NTP model with these rules. */
static struct pl_policy *
policy_with(const char *rules_json, const char *snapshot)
{
	char path[128];
	json_error_t je;
	json_t *m = json_load_file(PL_MODELS_DIR "/ntp.json", 0, &je);
	cr_assert_not_null(m, "%s", je.text);
	json_t *rules = json_loads(rules_json, 0, &je);
	cr_assert_not_null(rules, "%s: %s", rules_json, je.text);
	json_object_set_new(m, "best-practices", rules);
	snprintf(dir, sizeof(dir), "/tmp/pl_rules_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ntp.json", dir);
	cr_assert_eq(json_dump_file(m, path, 0), 0);
	json_decref(m);
	models = pl_model_set_load(dir, err, sizeof(err), NULL);
	cr_assert_not_null(models, "%s", err);
	unlink(path);
	rmdir(dir);
	ciphers = pl_cipher_registry_load(PL_CONFIG_DIR "/ciphersuites.csv",
					  snapshot, err, sizeof(err));
	cr_assert_not_null(ciphers, "%s", err);
	return pl_policy_create(models, ciphers, err, sizeof(err));
}

static void
done(struct pl_policy *p)
{
	pl_policy_free(p);
	pl_cipher_registry_free(ciphers);
	pl_model_set_free(models);
}

/* The findings of one message (from the originator unless said). */
static unsigned
check(struct pl_policy *p, const char *attrs, bool from_orig,
      struct pl_finding *f)
{
	struct pl_policy_msg m = {.from_orig = from_orig, .ttl = 64};
	m.attrs = json_loads(attrs, 0, NULL);
	cr_assert_not_null(m.attrs, "%s", attrs);
	unsigned n = pl_policy_check(p, 0, &m, 1, f, 8);
	json_decref((json_t *)m.attrs);
	return n;
}

Test(rules, project_models_compile)
{
	models = pl_model_set_load(PL_MODELS_DIR, err, sizeof(err), NULL);
	cr_assert_not_null(models, "%s", err);
	ciphers = pl_cipher_registry_load(PL_CONFIG_DIR "/ciphersuites.csv",
					  NULL, err, sizeof(err));
	cr_assert_not_null(ciphers, "%s", err);
	struct pl_policy *p = pl_policy_create(models, ciphers, err, sizeof(err));
	cr_assert_not_null(p, "%s", err);
	/* Every model with rules: each rule knows its model. */
	cr_assert_geq(pl_policy_rule_count(p), 15);
	for (unsigned i = 0; i < pl_policy_rule_count(p); i++) {
		const struct pl_rule_info *r = pl_policy_rule(p, i);
		cr_assert(strncmp(r->id, r->model, strlen(r->model)) == 0,
			  "%s in %s", r->id, r->model);
		cr_assert(*r->reference && *r->text);
	}
	cr_assert_null(pl_policy_rule(p, pl_policy_rule_count(p)));
	done(p);
}

Test(rules, version_max_with_grease_and_fallback)
{
	struct pl_policy *p = policy_with(
		"[{\"id\":\"v\",\"direction\":\"request\",\"attribute\":"
		"\"ch.supported_versions\",\"else-attribute\":\"ch.legacy_version\","
		"\"ignore-grease\":true,\"select\":\"max\",\"condition\":{\"lt\":771},"
		"\"show\":\"tls-version\",\"severity\":\"high\",\"reference\":"
		"\"RFC 8996\",\"text\":\"old\"}]", NULL);
	cr_assert_not_null(p, "%s", err);
	struct pl_finding f[8];
	/* GREASE 0x7a7a is above 0x0303 but is no version. */
	cr_assert_eq(check(p, "{\"ch\":{\"supported_versions\":[31354,770,769]}}",
			   true, f), 1);
	cr_assert_str_eq(f[0].value, "TLS 1.1");
	cr_assert_eq(check(p, "{\"ch\":{\"supported_versions\":[772,771]}}", true, f), 0);
	cr_assert_eq(check(p, "{\"ch\":{\"legacy_version\":769}}", true, f), 1);
	cr_assert_str_eq(f[0].value, "TLS 1.0");
	/* A response is not checked by a request rule. */
	cr_assert_eq(check(p, "{\"ch\":{\"legacy_version\":769}}", false, f), 0);
	/* Absent: passes. */
	cr_assert_eq(check(p, "{\"other\":1}", true, f), 0);
	done(p);
}

Test(rules, cipher_levels_by_snapshot)
{
	static const char *rule =
		"[{\"id\":\"c\",\"attribute\":\"cipher_suites\",\"condition\":"
		"{\"cipher-level\":[\"weak\",\"insecure\"]},\"show\":\"cipher\","
		"\"severity\":\"medium\",\"reference\":\"ciphersuite.info\","
		"\"text\":\"weak\"}]";
	/* 0x009e (DHE-RSA-AES128-GCM) became weak after 2023; 0x1301 is
	 * recommended in both (../shared/data/ciphersuite-levels.csv). */
	static const char *hello = "{\"cipher_suites\":[\"1301\",\"009e\",\"0a0a\"]}";
	struct pl_finding f[8];
	struct pl_policy *p = policy_with(rule, "2026");
	cr_assert_not_null(p, "%s", err);
	cr_assert_eq(check(p, hello, true, f), 1);
	cr_assert_str_eq(f[0].value, "009e TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
	done(p);
	p = policy_with(rule, "2023");
	cr_assert_not_null(p, "%s", err);
	cr_assert_eq(check(p, hello, true, f), 0);
	done(p);
}

Test(rules, when_context_and_absent)
{
	struct pl_policy *p = policy_with(
		"[{\"id\":\"mode\",\"attribute\":\"mode\",\"condition\":{\"not-in\":[3,4]},"
		"\"when\":[{\"attribute\":\"@peer\",\"condition\":{\"eq\":\"remote\"}}],"
		"\"severity\":\"medium\",\"reference\":\"RFC 8633\",\"text\":\"m\"},"
		"{\"id\":\"nts\",\"attribute\":\"nts\",\"condition\":{\"not-in\":"
		"[\"ssdp:alive\"]},\"if-absent\":\"fail\",\"when\":[{\"attribute\":"
		"\"type\",\"condition\":{\"eq\":\"notify\"}}],\"severity\":\"low\","
		"\"reference\":\"UDA\",\"text\":\"n\"},"
		"{\"id\":\"ttl\",\"attribute\":\"ip_ttl\",\"condition\":{\"gt\":2},"
		"\"when\":[{\"attribute\":\"@destination\",\"condition\":{\"eq\":"
		"\"multicast\"}}],\"severity\":\"low\",\"reference\":\"UDA\","
		"\"text\":\"t\"}]", NULL);
	cr_assert_not_null(p, "%s", err);
	struct pl_finding f[8];
	struct pl_policy_msg m = {.from_orig = true};
	m.attrs = json_loads("{\"mode\":1,\"type\":\"notify\",\"ip_ttl\":4}", 0, NULL);
	cr_assert_eq(pl_policy_check(p, 0, &m, 1, f, 8), 1, "local peer, unicast");
	cr_assert_eq(f[0].rule, 1);
	cr_assert_str_eq(f[0].value, "absent");
	m.peer_remote = true;
	m.dst_cast = 2;
	cr_assert_eq(pl_policy_check(p, 0, &m, 1, f, 8), 3);
	cr_assert_str_eq(f[0].value, "1");
	cr_assert_str_eq(f[2].value, "4");
	json_decref((json_t *)m.attrs);
	done(p);
}

/* One finding per rule and flow: the first message that breaks it. */
Test(rules, first_message_wins)
{
	struct pl_policy *p = policy_with(
		"[{\"id\":\"v\",\"attribute\":\"version\",\"condition\":{\"lt\":4},"
		"\"severity\":\"low\",\"reference\":\"RFC 8633\",\"text\":\"v\"}]", NULL);
	cr_assert_not_null(p, "%s", err);
	struct pl_policy_msg m[3] = {{.from_orig = true}, {.from_orig = false},
				     {.from_orig = true}};
	m[0].attrs = json_loads("{\"version\":4}", 0, NULL);
	m[1].attrs = json_loads("{\"version\":3}", 0, NULL);
	m[2].attrs = json_loads("{\"version\":2}", 0, NULL);
	struct pl_finding f[8];
	cr_assert_eq(pl_policy_check(p, 0, m, 3, f, 8), 1);
	cr_assert_str_eq(f[0].value, "3");
	cr_assert(!f[0].from_orig);
	cr_assert_eq(pl_policy_check(p, 1, m, 3, f, 8), 0, "another model");
	cr_assert(pl_policy_model_has_rules(p, 0));
	cr_assert(!pl_policy_model_has_rules(p, 1));
	for (int i = 0; i < 3; i++)
		json_decref((json_t *)m[i].attrs);
	done(p);
}

static void
refused(const char *rules, const char *want)
{
	struct pl_policy *p = policy_with(rules, NULL);
	cr_assert_null(p, "accepted %s", rules);
	cr_assert(strstr(err, want), "for %s:\n got  %s\n want %s", rules, err, want);
	done(NULL);
}

#define OK_TAIL "\"severity\":\"low\",\"reference\":\"r\",\"text\":\"t\""

Test(rules, bad_rules_name_file_path_and_problem)
{
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"about\":1}," OK_TAIL "}]",
		"ntp.json: best-practices[0].condition: expected one of lt, le");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":1}}]",
		"ntp.json: best-practices[0].severity: expected a non-empty string, found nothing");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":\"1\"}," OK_TAIL "}]",
		"best-practices[0].lt: expected a number, found a string");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":1},\"direction\":"
		"\"sideways\"," OK_TAIL "}]",
		"best-practices[0].direction: expected one of request, response, any");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":1}," OK_TAIL "},"
		"{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":1}," OK_TAIL "}]",
		"best-practices[1].id: expected a rule id used once, found \"a\" again");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"cipher-level\":"
		"[\"meh\"]}," OK_TAIL "}]",
		"best-practices[0].cipher-level: expected level names");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":1},\"colour\":1,"
		OK_TAIL "}]", "best-practices[0].colour: expected no such member");
	refused("[{\"id\":\"a\",\"attribute\":\"@moon\",\"condition\":{\"lt\":1}," OK_TAIL "}]",
		"best-practices[0].attribute: expected one of @ttl, @peer, @destination");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"condition\":{\"lt\":1},\"when\":"
		"[{\"attribute\":\"y\",\"condition\":{\"in\":[]}}]," OK_TAIL "}]",
		"best-practices[0].when[0].in: expected a non-empty array");
	refused("[{\"id\":\"A b\",\"attribute\":\"x\",\"condition\":{\"lt\":1}," OK_TAIL "}]",
		"best-practices[0].id: expected lower-case letters");
	refused("[{\"id\":\"a\",\"attribute\":\"x..y\",\"condition\":{\"lt\":1}," OK_TAIL "}]",
		"best-practices[0].attribute: expected at most 4 non-empty names");
	refused("[{\"id\":\"a\",\"attribute\":\"x\",\"select\":\"max\",\"condition\":"
		"{\"prefix\":\"p\"}," OK_TAIL "}]",
		"best-practices[0].select: expected any or all with prefix, found max");
	refused("[7]", "best-practices[0]: expected an object, found an integer");
}

Test(rules, not_an_array)
{
	char path[128];
	json_t *m = json_load_file(PL_MODELS_DIR "/ntp.json", 0, NULL);
	cr_assert_not_null(m);
	json_object_set_new(m, "best-practices", json_string("none"));
	snprintf(dir, sizeof(dir), "/tmp/pl_rules_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ntp.json", dir);
	cr_assert_eq(json_dump_file(m, path, 0), 0);
	json_decref(m);
	cr_assert_null(pl_model_set_load(dir, err, sizeof(err), NULL));
	cr_assert(strstr(err, "ntp.json: best-practices: expected an array, found "
			      "a string"), "%s", err);
	unlink(path);
	rmdir(dir);
}
