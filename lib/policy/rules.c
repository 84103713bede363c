/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Best-practice and privacy rules, declared in the models' `best-practices`
 * sections (docs/models.md) and compiled once at start-up: each rule names
 * an attribute of the dissectors' output (a dotted path, or a context value
 * such as @ttl), how to reduce it when it is a list, and a condition; `when`
 * clauses restrict it to some messages. Checked on control, per flow, on
 * the messages of the protocol the flow was classified as.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

#define PATH_MAX_PARTS 4
#define WHEN_MAX 4
#define VALUES_MAX 1024
#define SHOW_MAX 8

enum op {
	OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_IN, OP_NOT_IN,
	OP_PREFIX, OP_CIPHER_LEVEL, OP_PRESENT, OP_ABSENT,
};

static const char *const op_names[] = {
	"lt", "le", "gt", "ge", "eq", "ne", "in", "not-in",
	"prefix", "cipher-level", "present", "absent",
};
#define NB_OPS (sizeof(op_names) / sizeof(op_names[0]))

enum select { SEL_ANY, SEL_ALL, SEL_MAX, SEL_MIN };
static const char *const select_names[] = {"any", "all", "max", "min"};

enum context { CTX_NONE, CTX_TTL, CTX_PEER, CTX_DESTINATION };

enum show { SHOW_VALUE, SHOW_TLS_VERSION, SHOW_CIPHER };
static const char *const show_names[] = {"value", "tls-version", "cipher"};

/* An attribute and what it must be. */
struct test {
	enum context ctx;
	char *path[PATH_MAX_PARTS];
	unsigned nb_path;
	char *else_path[PATH_MAX_PARTS];
	unsigned nb_else;
	enum select sel;
	bool grease;  /* drop GREASE values first */
	bool icase;
	enum op op;
	json_t *arg;  /* the condition's operand */
	uint32_t levels; /* cipher-level: bit per enum pl_cipher_level */
	bool fail_if_absent;
};

struct rule {
	struct pl_rule_info info;
	unsigned model;
	int direction; /* 0 request, 1 response, -1 any */
	struct test test;
	struct test when[WHEN_MAX];
	unsigned nb_when;
	enum show show;
};

struct pl_policy {
	const struct pl_cipher_registry *ciphers;
	struct rule *rules;
	unsigned nb_rules;
};

/* ---------------------------------------------------------------- load */

struct ctx {
	char *err;
	size_t errlen;
	const char *file;
	char path[128];
};

static int
bad(struct ctx *c, const char *member, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err)
		snprintf(c->err, c->errlen, "%s: %s%s%s: %s", c->file, c->path,
			 member ? "." : "", member ? member : "", msg);
	return -EINVAL;
}

static int
pick(struct ctx *c, const char *member, const char *value,
     const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(value, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	char list[256] = "";
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s",
				      i ? ", " : "", names[i]);
	return bad(c, member, "expected one of %s, found \"%s\"", list, value);
}

static int
parse_path(struct ctx *c, const char *member, const char *s, char **parts,
	   unsigned *n)
{
	*n = 0;
	const char *p = s;
	if (*s == '\0')
		return bad(c, member, "expected an attribute path, found \"\"");
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || *n == PATH_MAX_PARTS)
			return bad(c, member,
				   "expected at most %d non-empty names joined "
				   "by '.', found \"%s\"", PATH_MAX_PARTS, s);
		parts[*n] = strndup(p, len);
		if (parts[*n] == NULL)
			return -ENOMEM;
		(*n)++;
		p += len + (dot ? 1 : 0);
		if (dot && *p == '\0')
			return bad(c, member, "expected a name after '.', "
				   "found the end of \"%s\"", s);
	}
	return 0;
}

static int
load_condition(struct ctx *c, const json_t *cond, struct test *t)
{
	const char *key;
	json_t *v;
	if (!json_is_object(cond) || json_object_size(cond) != 1)
		return bad(c, "condition", "expected an object with one "
			   "operator, found %s", cond ? pl_model_json_type(cond) : "nothing");
	json_object_foreach((json_t *)cond, key, v) {
		int op = 0;
		int rc = pick(c, "condition", key, op_names, NB_OPS, &op);
		if (rc)
			return rc;
		t->op = (enum op)op;
		t->arg = json_incref(v);
		switch (t->op) {
		case OP_LT: case OP_LE: case OP_GT: case OP_GE:
			if (!json_is_number(v))
				return bad(c, key, "expected a number, found %s",
					   pl_model_json_type(v));
			break;
		case OP_EQ: case OP_NE:
			if (!json_is_number(v) && !json_is_string(v) &&
			    !json_is_boolean(v))
				return bad(c, key, "expected a number, a string "
					   "or a boolean, found %s", pl_model_json_type(v));
			break;
		case OP_PREFIX:
			if (!json_is_string(v))
				return bad(c, key, "expected a string, found %s",
					   pl_model_json_type(v));
			break;
		case OP_IN: case OP_NOT_IN: case OP_CIPHER_LEVEL: {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) == 0)
				return bad(c, key, "expected a non-empty array, "
					   "found %s", pl_model_json_type(v));
			json_array_foreach(v, i, e) {
				if (t->op != OP_CIPHER_LEVEL) {
					if (!json_is_number(e) && !json_is_string(e))
						return bad(c, key, "expected numbers "
							   "or strings, found %s",
							   pl_model_json_type(e));
					continue;
				}
				enum pl_cipher_level lv;
				if (!json_is_string(e) ||
				    pl_cipher_level_from_name(json_string_value(e),
							      &lv) != 0)
					return bad(c, key, "expected level names "
						   "(insecure, weak, secure, "
						   "recommended, ...), found %s%s%s",
						   json_is_string(e) ? "\"" : "",
						   json_is_string(e)
							   ? json_string_value(e)
							   : pl_model_json_type(e),
						   json_is_string(e) ? "\"" : "");
				t->levels |= 1u << lv;
			}
			break;
		}
		case OP_PRESENT: case OP_ABSENT:
			if (!json_is_true(v))
				return bad(c, key, "expected true, found %s",
					   pl_model_json_type(v));
			break;
		}
	}
	return 0;
}

/* An attribute test: the rule itself or one of its `when` clauses. */
static int
load_test(struct ctx *c, const json_t *o, struct test *t, bool is_rule)
{
	static const char *const rule_keys[] = {
		"id", "kind", "direction", "attribute", "else-attribute",
		"select", "ignore-grease", "ignore-case", "condition", "when",
		"if-absent", "show", "severity", "reference", "text", NULL};
	static const char *const when_keys[] = {
		"attribute", "select", "ignore-grease", "ignore-case",
		"condition", NULL};
	const char *const *known = is_rule ? rule_keys : when_keys;
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)o, key, v) {
		bool ok = false;
		for (int i = 0; known[i]; i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok)
			return bad(c, key, "expected no such member (a %s has "
				   "%s), found one", is_rule ? "rule" : "when clause",
				   is_rule ? "id, attribute, condition, severity, ..."
					   : "attribute, condition, select, ...");
	}
	const json_t *a = json_object_get(o, "attribute");
	if (!json_is_string(a))
		return bad(c, "attribute", "expected a string, found %s",
			   a ? pl_model_json_type(a) : "nothing");
	const char *as = json_string_value(a);
	if (as[0] == '@') {
		static const char *const ctxs[] = {"@ttl", "@peer", "@destination"};
		int k = 0;
		if ((rc = pick(c, "attribute", as, ctxs, 3, &k)))
			return rc;
		t->ctx = (enum context)(k + 1);
	} else if ((rc = parse_path(c, "attribute", as, t->path, &t->nb_path))) {
		return rc;
	}
	const json_t *ea = json_object_get(o, "else-attribute");
	if (ea && (!json_is_string(ea) || t->ctx != CTX_NONE))
		return bad(c, "else-attribute", "expected a string beside an "
			   "attribute path, found %s", pl_model_json_type(ea));
	if (ea && (rc = parse_path(c, "else-attribute", json_string_value(ea),
				   t->else_path, &t->nb_else)))
		return rc;
	const json_t *sel = json_object_get(o, "select");
	if (sel) {
		int k = 0;
		if (!json_is_string(sel))
			return bad(c, "select", "expected a string, found %s",
				   pl_model_json_type(sel));
		if ((rc = pick(c, "select", json_string_value(sel), select_names,
			       4, &k)))
			return rc;
		t->sel = (enum select)k;
	}
	static const char *const flags[] = {"ignore-grease", "ignore-case"};
	for (int i = 0; i < 2; i++) {
		const json_t *f = json_object_get(o, flags[i]);
		if (f && !json_is_boolean(f))
			return bad(c, flags[i], "expected a boolean, found %s",
				   pl_model_json_type(f));
	}
	t->grease = json_is_true(json_object_get(o, "ignore-grease"));
	t->icase = json_is_true(json_object_get(o, "ignore-case"));
	if ((rc = load_condition(c, json_object_get(o, "condition"), t)))
		return rc;
	if ((t->sel == SEL_MAX || t->sel == SEL_MIN) && t->op > OP_NOT_IN)
		return bad(c, "select", "expected any or all with %s, found %s",
			   op_names[t->op], select_names[t->sel]);
	return 0;
}

static int
load_string(struct ctx *c, const json_t *o, const char *key, bool required,
	    const char **out)
{
	const json_t *v = json_object_get(o, key);
	if (v == NULL && !required) {
		*out = "";
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return bad(c, key, "expected a non-empty string, found %s",
			   v ? pl_model_json_type(v) : "nothing");
	*out = json_string_value(v);
	return 0;
}

static bool
valid_id(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

static int
load_rule(struct ctx *c, struct pl_policy *p, const json_t *o, unsigned model,
	  const char *model_name, struct rule *r)
{
	static const char *const severities[] = {"info", "low", "medium",
						 "high", "critical"};
	static const char *const kinds[] = {"best-practice", "privacy"};
	static const char *const dirs[] = {"request", "response", "any"};
	int rc, k = 0;
	const char *s = NULL;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return bad(c, NULL, "expected an object, found %s", pl_model_json_type(o));
	r->model = model;
	r->info.model = model_name;
	if ((rc = load_string(c, o, "id", true, &r->info.id)))
		return rc;
	if (!valid_id(r->info.id))
		return bad(c, "id", "expected lower-case letters, digits, '-', "
			   "'.' or '_', found \"%s\"", r->info.id);
	for (unsigned i = 0; i < p->nb_rules; i++)
		if (strcmp(p->rules[i].info.id, r->info.id) == 0)
			return bad(c, "id", "expected a rule id used once, found "
				   "\"%s\" again", r->info.id);
	if ((rc = load_string(c, o, "severity", true, &s)) ||
	    (rc = pick(c, "severity", s, severities, 5, &k)))
		return rc;
	r->info.severity = severities[k];
	r->info.kind = kinds[0];
	if (json_object_get(o, "kind")) {
		if ((rc = load_string(c, o, "kind", true, &s)) ||
		    (rc = pick(c, "kind", s, kinds, 2, &k)))
			return rc;
		r->info.kind = kinds[k];
	}
	r->direction = -1;
	if (json_object_get(o, "direction")) {
		if ((rc = load_string(c, o, "direction", true, &s)) ||
		    (rc = pick(c, "direction", s, dirs, 3, &k)))
			return rc;
		r->direction = k == 2 ? -1 : k;
	}
	if ((rc = load_string(c, o, "reference", true, &r->info.reference)) ||
	    (rc = load_string(c, o, "text", true, &r->info.text)))
		return rc;
	if (json_object_get(o, "show")) {
		if ((rc = load_string(c, o, "show", true, &s)) ||
		    (rc = pick(c, "show", s, show_names, 3, &k)))
			return rc;
		r->show = (enum show)k;
	}
	if (json_object_get(o, "if-absent")) {
		static const char *const ia[] = {"pass", "fail"};
		if ((rc = load_string(c, o, "if-absent", true, &s)) ||
		    (rc = pick(c, "if-absent", s, ia, 2, &k)))
			return rc;
		r->test.fail_if_absent = k == 1;
	}
	if ((rc = load_test(c, o, &r->test, true)))
		return rc;
	const json_t *when = json_object_get(o, "when");
	if (when == NULL)
		return 0;
	if (!json_is_array(when) || json_array_size(when) > WHEN_MAX)
		return bad(c, "when", "expected an array of at most %d clauses, "
			   "found %s", WHEN_MAX, pl_model_json_type(when));
	size_t base = strlen(c->path);
	size_t i;
	json_t *w;
	json_array_foreach(when, i, w) {
		snprintf(c->path + base, sizeof(c->path) - base, ".when[%zu]", i);
		/* Counted first: what a bad clause holds is freed with it. */
		r->nb_when++;
		if (!json_is_object(w))
			return bad(c, NULL, "expected an object, found %s",
				   pl_model_json_type(w));
		if ((rc = load_test(c, w, &r->when[i], false)))
			return rc;
	}
	c->path[base] = '\0';
	return 0;
}

static void
test_free(struct test *t)
{
	for (unsigned i = 0; i < t->nb_path; i++)
		free(t->path[i]);
	for (unsigned i = 0; i < t->nb_else; i++)
		free(t->else_path[i]);
	json_decref(t->arg);
}

void
pl_policy_free(struct pl_policy *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->nb_rules; i++) {
		test_free(&p->rules[i].test);
		for (unsigned w = 0; w < p->rules[i].nb_when; w++)
			test_free(&p->rules[i].when[w]);
	}
	free(p->rules);
	free(p);
}

struct pl_policy *
pl_policy_create(const struct pl_model_set *models,
		 const struct pl_cipher_registry *ciphers, char *err,
		 size_t errlen)
{
	struct pl_policy *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->ciphers = ciphers;
	unsigned n = models ? pl_model_count(models) : 0;
	for (unsigned m = 0; m < n; m++) {
		const char *file;
		const json_t *rules = pl_model_rules(models, m, &file);
		size_t i;
		const json_t *o;
		json_array_foreach(rules, i, o) {
			struct rule *nr = realloc(p->rules,
						  (p->nb_rules + 1) * sizeof(*nr));
			if (nr == NULL) {
				snprintf(err, errlen, "out of memory");
				pl_policy_free(p);
				return NULL;
			}
			p->rules = nr;
			struct ctx c = {.err = err, .errlen = errlen, .file = file};
			snprintf(c.path, sizeof(c.path), "best-practices[%zu]", i);
			struct rule *r = &p->rules[p->nb_rules];
			int rc = load_rule(&c, p, o, m, pl_model_name(models, m), r);
			if (rc == 0 && r->test.op == OP_CIPHER_LEVEL && !ciphers)
				rc = bad(&c, "condition", "expected a cipher-suite "
					 "registry for cipher-level, found none");
			if (rc != 0) {
				if (rc == -ENOMEM)
					snprintf(err, errlen, "out of memory");
				/* Counted, so that free releases what the
				 * half-loaded rule holds. */
				p->nb_rules++;
				pl_policy_free(p);
				return NULL;
			}
			p->nb_rules++;
		}
	}
	return p;
}

unsigned
pl_policy_rule_count(const struct pl_policy *p)
{
	return p ? p->nb_rules : 0;
}

const struct pl_rule_info *
pl_policy_rule(const struct pl_policy *p, unsigned rule)
{
	return p && rule < p->nb_rules ? &p->rules[rule].info : NULL;
}

bool
pl_policy_model_has_rules(const struct pl_policy *p, unsigned model)
{
	for (unsigned i = 0; p && i < p->nb_rules; i++)
		if (p->rules[i].model == model)
			return true;
	return false;
}

/* --------------------------------------------------------------- check */

static const json_t *
lookup(const json_t *o, char *const *path, unsigned n)
{
	for (unsigned i = 0; i < n && o; i++)
		o = json_object_get(o, path[i]);
	return o;
}

/* The values a test reads from a message, scalars only. */
static unsigned
values_of(const struct test *t, const struct pl_policy_msg *m,
	  const json_t **out, json_t **own)
{
	static const char *const peer[] = {"local", "remote"};
	static const char *const dest[] = {"unicast", "broadcast", "multicast"};
	*own = NULL;
	switch (t->ctx) {
	case CTX_TTL:
		*own = json_integer(m->ttl);
		break;
	case CTX_PEER:
		*own = json_string(peer[m->peer_remote ? 1 : 0]);
		break;
	case CTX_DESTINATION:
		*own = json_string(dest[m->dst_cast < 3 ? m->dst_cast : 0]);
		break;
	case CTX_NONE:
		break;
	}
	if (*own) {
		out[0] = *own;
		return 1;
	}
	const json_t *v = lookup(m->attrs, t->path, t->nb_path);
	if (v == NULL || json_is_null(v))
		v = t->nb_else ? lookup(m->attrs, t->else_path, t->nb_else) : NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	unsigned n = 0;
	if (!json_is_array(v)) {
		out[n++] = v;
	} else {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e)
			if (n < VALUES_MAX && !json_is_object(e) && !json_is_array(e))
				out[n++] = e;
	}
	return n;
}

/* A code as the dissectors write one: a number, or hex digits. */
static bool
as_code(const json_t *v, uint16_t *code)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (x < 0 || x > 0xffff)
			return false;
		*code = (uint16_t)x;
		return true;
	}
	if (!json_is_string(v))
		return false;
	char *end;
	const char *s = json_string_value(v);
	unsigned long x = strtoul(s, &end, 16);
	if (*s == '\0' || *end || x > 0xffff)
		return false;
	*code = (uint16_t)x;
	return true;
}

static bool
equal(const json_t *a, const json_t *b, bool icase)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_string(a) && json_is_string(b))
		return icase ? strcasecmp(json_string_value(a),
					  json_string_value(b)) == 0
			     : strcmp(json_string_value(a),
				      json_string_value(b)) == 0;
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) == json_is_true(b);
	return false;
}

static bool
holds(const struct pl_policy *p, const struct test *t, const json_t *v)
{
	switch (t->op) {
	case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
		if (!json_is_number(v))
			return false;
		double x = json_number_value(v), y = json_number_value(t->arg);
		return t->op == OP_LT ? x < y : t->op == OP_LE ? x <= y
		     : t->op == OP_GT ? x > y : x >= y;
	}
	case OP_EQ: return equal(v, t->arg, t->icase);
	case OP_NE: return !equal(v, t->arg, t->icase);
	case OP_IN: case OP_NOT_IN: {
		size_t i;
		const json_t *e;
		bool in = false;
		json_array_foreach(t->arg, i, e)
			in |= equal(v, e, t->icase);
		return t->op == OP_IN ? in : !in;
	}
	case OP_PREFIX: {
		if (!json_is_string(v))
			return false;
		const char *pfx = json_string_value(t->arg);
		size_t n = strlen(pfx);
		return t->icase ? strncasecmp(json_string_value(v), pfx, n) == 0
				: strncmp(json_string_value(v), pfx, n) == 0;
	}
	case OP_CIPHER_LEVEL: {
		uint16_t code;
		return as_code(v, &code) &&
		       (t->levels >> pl_cipher_level(p->ciphers, code) & 1);
	}
	case OP_PRESENT: return true;
	case OP_ABSENT: return false;
	}
	return false;
}

/* Whether a test holds on a message; the values that break it go to bad
 * (if not NULL). */
static bool
test_msg(const struct pl_policy *p, const struct test *t,
	 const struct pl_policy_msg *m, const json_t **bad, unsigned *nb_bad,
	 unsigned *more, json_t **own)
{
	const json_t *vals[VALUES_MAX];
	unsigned n = values_of(t, m, vals, own), k = 0;
	if (t->grease)
		for (unsigned i = 0; i < n; i++) {
			uint16_t code;
			if (!(as_code(vals[i], &code) && pl_cipher_is_grease(code)))
				vals[k++] = vals[i];
		}
	else
		k = n;
	n = k;
	if (nb_bad)
		*nb_bad = 0;
	if (more)
		*more = 0;
	if (n == 0)
		return t->op == OP_ABSENT || t->fail_if_absent;
	if (t->op == OP_ABSENT)
		return false;
	if (t->sel == SEL_MAX || t->sel == SEL_MIN) {
		const json_t *best = NULL;
		for (unsigned i = 0; i < n; i++)
			if (json_is_number(vals[i]) &&
			    (best == NULL ||
			     (t->sel == SEL_MAX
				      ? json_number_value(vals[i]) > json_number_value(best)
				      : json_number_value(vals[i]) < json_number_value(best))))
				best = vals[i];
		if (best == NULL || !holds(p, t, best))
			return false;
		if (bad) {
			bad[0] = best;
			*nb_bad = 1;
		}
		return true;
	}
	unsigned hits = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!holds(p, t, vals[i]))
			continue;
		if (bad && hits < SHOW_MAX)
			bad[hits] = vals[i];
		hits++;
	}
	if (nb_bad)
		*nb_bad = hits < SHOW_MAX ? hits : SHOW_MAX;
	if (more)
		*more = hits > SHOW_MAX ? hits - SHOW_MAX : 0;
	return t->sel == SEL_ALL ? hits == n : hits > 0;
}

/* alone: the only value shown, so there is room for a suite's name. */
static void
show(const struct pl_policy *p, enum show how, const json_t *v, bool alone,
     char *buf, size_t size)
{
	uint16_t code;
	if (how == SHOW_TLS_VERSION && json_is_integer(v)) {
		static const char *const names[] = {"SSL 3.0", "TLS 1.0",
						    "TLS 1.1", "TLS 1.2",
						    "TLS 1.3"};
		json_int_t x = json_integer_value(v);
		if (x >= 0x0300 && x <= 0x0304)
			snprintf(buf, size, "%s", names[x - 0x0300]);
		else
			snprintf(buf, size, "0x%04llx", (unsigned long long)x);
		return;
	}
	if (how == SHOW_CIPHER && as_code(v, &code)) {
		/* The code as the attributes write it, and its name when
		 * there is room. */
		const char *name = alone ? pl_cipher_name(p->ciphers, code) : NULL;
		snprintf(buf, size, "%04x%s%s", code, name ? " " : "",
			 name ? name : "");
		return;
	}
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%g", json_real_value(v));
	else
		snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
}

unsigned
pl_policy_check(const struct pl_policy *p, unsigned model,
		const struct pl_policy_msg *msgs, unsigned nb_msgs,
		struct pl_finding *out, unsigned max)
{
	unsigned found = 0;
	for (unsigned ri = 0; p && ri < p->nb_rules && found < max; ri++) {
		const struct rule *r = &p->rules[ri];
		if (r->model != model)
			continue;
		for (unsigned i = 0; i < nb_msgs; i++) {
			const struct pl_policy_msg *m = &msgs[i];
			if (r->direction >= 0 && r->direction != (m->from_orig ? 0 : 1))
				continue;
			bool ok = true;
			for (unsigned w = 0; ok && w < r->nb_when; w++) {
				json_t *own;
				ok = test_msg(p, &r->when[w], m, NULL, NULL, NULL,
					      &own);
				json_decref(own);
			}
			if (!ok)
				continue;
			const json_t *bad[SHOW_MAX];
			unsigned nb_bad, more;
			json_t *own;
			if (!test_msg(p, &r->test, m, bad, &nb_bad, &more, &own)) {
				json_decref(own);
				continue;
			}
			/* One finding per rule and flow: the first message
			 * that breaks it, with what broke it. */
			struct pl_finding *f = &out[found++];
			f->rule = ri;
			f->from_orig = m->from_orig;
			f->value[0] = '\0';
			size_t k = 0;
			for (unsigned b = 0; b < nb_bad && k + 1 < sizeof(f->value); b++) {
				char one[96];
				show(p, r->show, bad[b], nb_bad == 1 && more == 0, one,
				     sizeof(one));
				k += (size_t)snprintf(f->value + k, sizeof(f->value) - k,
						      "%s%s", b ? "," : "", one);
			}
			if (more && k < sizeof(f->value))
				snprintf(f->value + k, sizeof(f->value) - k,
					 ",+%u more", more);
			if (nb_bad == 0)
				snprintf(f->value, sizeof(f->value), "absent");
			json_decref(own);
			break;
		}
	}
	return found;
}
