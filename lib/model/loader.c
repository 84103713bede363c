/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model loader: reads every *.json of a directory with jansson, validates
 * it against the ProtoIoT schema (docs/models.md), compiles byte patterns,
 * expressions and one Hyperscan database for all regex matchers.
 * Every error names the file, the JSON path and what was expected.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "model-internal.h"

struct loader {
	struct pl_model_set *set;
	const char *file; /* path, for messages */
	char file_buf[4096];
	char *err;
	size_t errlen;
	void (*warn)(const char *msg);
	/* regex matchers waiting for the Hyperscan compile */
	char *regex[PL_MODEL_MAX_MATCHERS];
	char regex_path[PL_MODEL_MAX_MATCHERS][256];
	char regex_file[PL_MODEL_MAX_MATCHERS][256];
	unsigned regex_id[PL_MODEL_MAX_MATCHERS];
	unsigned nb_regex;
	pcre2_compile_context *pcre_cc; /* regex attributes */
};

static int
bad(struct loader *l, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s: %s", l->file, path, what);
	return -EINVAL;
}

const char *
pl_model_json_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Warn about keys outside `known` (NULL-terminated). */
static void
check_keys(struct loader *l, const json_t *obj, const char *path,
	   const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			if (strcmp(*k, key) == 0)
				ok = 1;
		if (!ok && l->warn) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: %s%s%s: unknown key ignored",
				 l->file, path, *path ? "." : "", key);
			l->warn(msg);
		}
	}
	(void)v;
}

static json_t *
get(struct loader *l, const json_t *obj, const char *path, const char *key,
    json_type type, int required, int *rc)
{
	json_t *v = json_object_get(obj, key);
	char full[256];
	snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", key);
	if (v == NULL) {
		if (required)
			*rc = bad(l, full, "expected %s, found nothing",
				  type == JSON_OBJECT  ? "an object"
				  : type == JSON_ARRAY ? "an array"
				  : type == JSON_STRING ? "a string"
							: "an integer");
		return NULL;
	}
	if (json_typeof(v) != type) {
		*rc = bad(l, full, "expected %s, found %s",
			  type == JSON_OBJECT  ? "an object"
			  : type == JSON_ARRAY ? "an array"
			  : type == JSON_STRING ? "a string"
						: "an integer",
			  pl_model_json_type(v));
		return NULL;
	}
	return v;
}

static int
load_info(struct loader *l, const json_t *root, struct pl_model *m)
{
	static const char *const known[] = {
		"version", "last-update", "namespace", "abbreviation",
		"standard-name", "description", "protocol-url", NULL};
	int rc = 0;
	json_t *info = get(l, root, "", "info", JSON_OBJECT, 1, &rc);
	if (!info)
		return rc;
	check_keys(l, info, "info", known);
	json_t *ab = get(l, info, "info", "abbreviation", JSON_STRING, 1, &rc);
	if (!ab)
		return rc;
	const char *s = json_string_value(ab);
	size_t n = strlen(s);
	if (n == 0 || n >= PL_MODEL_NAME_MAX)
		return bad(l, "info.abbreviation",
			   "expected 1 to %d characters, found '%s'",
			   PL_MODEL_NAME_MAX - 1, s);
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') &&
		    s[i] != '-' && s[i] != '_' && !(s[i] >= 'A' && s[i] <= 'Z'))
			return bad(l, "info.abbreviation",
				   "expected letters, digits, '-' or '_', found '%s'", s);
	for (unsigned i = 0; i < l->set->nb_models; i++)
		if (strcasecmp(l->set->models[i].name, s) == 0)
			return bad(l, "info.abbreviation",
				   "expected a name no other model uses, found '%s' "
				   "(also in %s)", s, l->set->models[i].file);
	snprintf(m->name, sizeof(m->name), "%s", s);
	return 0;
}

static int
load_metadata(struct loader *l, const json_t *root, unsigned idx,
	      struct pl_model *m)
{
	static const char *const known[] = {
		"ether-types", "ip-protocols", "server-port", "traffic-mode",
		"network-scope", "content-class", "relationship", NULL};
	struct pl_model_set *set = l->set;
	uint32_t bit = 1U << idx;
	int rc = 0;
	char path[128];
	size_t i;
	json_t *v;

	json_t *md = get(l, root, "", "metadata", JSON_OBJECT, 1, &rc);
	if (!md)
		return rc;
	check_keys(l, md, "metadata", known);

	json_t *et = get(l, md, "metadata", "ether-types", JSON_ARRAY, 1, &rc);
	if (!et)
		return rc;
	json_array_foreach(et, i, v) {
		snprintf(path, sizeof(path), "metadata.ether-types[%zu]", i);
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		char *end = NULL;
		unsigned long t = s ? strtoul(s, &end, 16) : 0;
		if (!s || end == s || *end || t > 0xffff)
			return bad(l, path, "expected a hex ether-type string "
					    "such as \"0x0800\", found %s",
				   s ? s : pl_model_json_type(v));
		if (t == 0x0800)
			set->by_ether[0] |= bit;
		else if (t == 0x86dd)
			set->by_ether[1] |= bit;
		else if (l->warn) {
			char msg[300];
			snprintf(msg, sizeof(msg), "%s: %s: ether-type %s is not "
				 "IP: the model never applies to it", l->file, path, s);
			l->warn(msg);
		}
	}
	json_t *ip = get(l, md, "metadata", "ip-protocols", JSON_ARRAY, 1, &rc);
	if (!ip)
		return rc;
	json_array_foreach(ip, i, v) {
		snprintf(path, sizeof(path), "metadata.ip-protocols[%zu]", i);
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 255)
			return bad(l, path, "expected an IP protocol number 0..255, "
					    "found %s", pl_model_json_type(v));
		set->by_proto[json_integer_value(v)] |= bit;
	}
	json_t *sp = get(l, md, "metadata", "server-port", JSON_OBJECT, 0, &rc);
	if (rc)
		return rc;
	if (sp) {
		json_t *ports = get(l, sp, "metadata.server-port", "port",
				    JSON_ARRAY, 1, &rc);
		if (!ports)
			return rc;
		json_array_foreach(ports, i, v) {
			snprintf(path, sizeof(path), "metadata.server-port.port[%zu]", i);
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 65535)
				return bad(l, path, "expected a port 1..65535, found %s",
					   pl_model_json_type(v));
			if (m->nb_ports == PL_MODEL_MAX_PORTS)
				return bad(l, path, "expected at most %d ports",
					   PL_MODEL_MAX_PORTS);
			m->ports[m->nb_ports++] = (uint16_t)json_integer_value(v);
		}
	}
	json_t *tm = get(l, md, "metadata", "traffic-mode", JSON_ARRAY, 0, &rc);
	if (rc)
		return rc;
	if (tm == NULL) {
		for (int k = 0; k < 3; k++)
			set->by_mode[k] |= bit;
		return 0;
	}
	json_array_foreach(tm, i, v) {
		snprintf(path, sizeof(path), "metadata.traffic-mode[%zu]", i);
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(s, "UNICAST") == 0)
			set->by_mode[PL_MODE_UNICAST] |= bit;
		else if (strcmp(s, "BROADCAST") == 0)
			set->by_mode[PL_MODE_BROADCAST] |= bit;
		else if (strcmp(s, "MULTICAST") == 0)
			set->by_mode[PL_MODE_MULTICAST] |= bit;
		else
			return bad(l, path, "expected UNICAST, BROADCAST or "
					    "MULTICAST, found %s",
				   json_is_string(v) ? s : pl_model_json_type(v));
	}
	return 0;
}

/* A regex's prefix as an anchored pattern of mt (len 0: none known). */
static int
prefix_pattern(const struct pl_regex_prefix *rp, struct pl_matcher *mt)
{
	memset(&mt->bytes, 0, sizeof(mt->bytes));
	mt->bytes.sets = malloc(rp->n * sizeof(rp->sets[0]));
	if (mt->bytes.sets == NULL)
		return -ENOMEM;
	memcpy(mt->bytes.sets, rp->sets, rp->n * sizeof(rp->sets[0]));
	mt->bytes.len = rp->n;
	mt->end_anchored = rp->end_anchored;
	mt->exact = rp->exact;
	mt->lengths = rp->lengths;
	return 0;
}

/* What the matches of regex matcher i start with, and the lengths they
 * can have, and if that does not decide them, its exact branches, as
 * far as the set has room: the anchored automaton tests all of them
 * before any scan. */
static int
regex_prefix(struct pl_model_set *set, unsigned i, const char *src)
{
	struct pl_matcher *mt = &set->matchers[i];
	struct pl_regex_prefix whole;
	if (pl_regex_prefix(src, &whole) == 0)
		return 0;
	if (prefix_pattern(&whole, mt) != 0)
		return -ENOMEM;
	unsigned room = PL_MODEL_MAX_BRANCHES - set->nb_branches;
	if (mt->exact || room == 0)
		return 0;
	struct pl_regex_prefix *rp = malloc(room * sizeof(*rp));
	if (rp == NULL)
		return -ENOMEM;
	unsigned n = pl_regex_branches(src, rp, room);
	int rc = 0;
	for (unsigned k = 0; k < n && rc == 0; k++) {
		struct pl_matcher *b = &set->branches[set->nb_branches];
		*b = (struct pl_matcher){.model = mt->model, .dir = mt->dir,
					 .kind = MATCHER_REGEX};
		rc = prefix_pattern(&rp[k], b);
		if (rc == 0)
			set->branch_of[set->nb_branches++] = (uint16_t)i;
	}
	free(rp);
	return rc;
}

/* Java's `.` stops at CR as well as LF; Hyperscan's only at LF. */
static char *
translate_java_regex(const char *src)
{
	size_t n = strlen(src);
	char *out = malloc(n * 8 + 1);
	size_t o = 0;
	int in_class = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '\\' && i + 1 < n) {
			out[o++] = c;
			out[o++] = src[++i];
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = 0;
			out[o++] = c;
			continue;
		}
		if (c == '[') {
			in_class = 1;
			out[o++] = c;
			/* a ']' first in a class is a literal */
			if (src[i + 1] == '^')
				out[o++] = src[++i];
			if (src[i + 1] == ']')
				out[o++] = src[++i];
			continue;
		}
		if (c == '.') {
			memcpy(out + o, "[^\\r\\n]", 7);
			o += 7;
			continue;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

struct id_map {
	int ids[PL_MODEL_MAX_MATCHERS];
	int bits[PL_MODEL_MAX_MATCHERS];
	unsigned n;
};

static int
resolve_id(const char *ident, size_t len, void *arg)
{
	const struct id_map *map = arg;
	char buf[16];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, ident, len);
	buf[len] = '\0';
	char *end;
	long id = strtol(buf, &end, 10);
	if (*end)
		return -1;
	for (unsigned i = 0; i < map->n; i++)
		if (map->ids[i] == id)
			return map->bits[i];
	return -1;
}

static int
load_direction(struct loader *l, const json_t *contents, const char *dname,
	       unsigned idx, int dir, struct pl_model *m)
{
	static const char *const known[] = {"matchers", "eval", NULL};
	static const char *const mknown[] = {"id", "matcher-type",
					     "matcher-pattern", NULL};
	static const char *const pknown[] = {"pattern", "index", NULL};
	struct pl_model_set *set = l->set;
	char path[160], mpath[200], perr[300];
	struct id_map map = {.n = 0};
	int rc = 0;
	size_t i;
	json_t *mj;

	snprintf(path, sizeof(path), "contents.%s", dname);
	json_t *d = get(l, contents, "contents", dname, JSON_OBJECT, 0, &rc);
	if (rc || d == NULL)
		return rc;
	m->has_dir[dir] = true;
	check_keys(l, d, path, known);
	json_t *ms = get(l, d, path, "matchers", JSON_ARRAY, 1, &rc);
	if (!ms)
		return rc;
	json_array_foreach(ms, i, mj) {
		snprintf(mpath, sizeof(mpath), "%s.matchers[%zu]", path, i);
		if (!json_is_object(mj))
			return bad(l, mpath, "expected an object, found %s",
				   pl_model_json_type(mj));
		check_keys(l, mj, mpath, mknown);
		json_t *id = get(l, mj, mpath, "id", JSON_INTEGER, 1, &rc);
		json_t *type = id ? get(l, mj, mpath, "matcher-type", JSON_STRING, 1, &rc) : NULL;
		json_t *pat = type ? get(l, mj, mpath, "matcher-pattern", JSON_OBJECT, 1, &rc) : NULL;
		if (!pat)
			return rc;
		char ppath[240];
		snprintf(ppath, sizeof(ppath), "%s.matcher-pattern", mpath);
		check_keys(l, pat, ppath, pknown);
		json_t *ps = get(l, pat, ppath, "pattern", JSON_STRING, 1, &rc);
		if (!ps)
			return rc;
		json_t *ix = get(l, pat, ppath, "index", JSON_INTEGER, 0, &rc);
		if (rc)
			return rc;
		for (unsigned k = 0; k < map.n; k++)
			if (map.ids[k] == json_integer_value(id))
				return bad(l, mpath, "expected a matcher id unique in "
					   "%s, found %lld twice", path,
					   (long long)json_integer_value(id));
		if (set->nb_matchers == PL_MODEL_MAX_MATCHERS)
			return bad(l, mpath, "expected at most %d matchers in all "
				   "models", PL_MODEL_MAX_MATCHERS);
		unsigned bit = set->nb_matchers;
		struct pl_matcher *mt = &set->matchers[bit];
		mt->model = (uint8_t)idx;
		mt->dir = (uint8_t)dir;
		const char *t = json_string_value(type);
		strcat(ppath, ".pattern");
		if (strcmp(t, "matcher:byteseek") == 0) {
			long long index = ix ? json_integer_value(ix) : -1;
			if (ix && (index < 0 || index > 65535))
				return bad(l, ppath, "expected an index 0..65535, "
					   "found %lld", index);
			mt->kind = MATCHER_BYTES;
			rc = pl_bytes_compile(json_string_value(ps), (int32_t)index,
					      &mt->bytes, perr, sizeof(perr));
			if (rc == -ENOMEM)
				return bad(l, ppath, "out of memory");
			if (rc)
				return bad(l, ppath, "%s", perr);
		} else if (strcmp(t, "matcher:regex") == 0) {
			if (ix && l->warn) {
				char msg[400];
				snprintf(msg, sizeof(msg), "%s: %s: index is ignored "
					 "for regex matchers (use ^)", l->file, ppath);
				l->warn(msg);
			}
			mt->kind = MATCHER_REGEX;
			unsigned r = l->nb_regex++;
			l->regex[r] = translate_java_regex(json_string_value(ps));
			if (!l->regex[r])
				return bad(l, ppath, "out of memory");
			snprintf(l->regex_path[r], sizeof(l->regex_path[r]), "%s", ppath);
			snprintf(l->regex_file[r], sizeof(l->regex_file[r]), "%s", l->file);
			l->regex_id[r] = bit;
			rc = regex_prefix(set, bit, json_string_value(ps));
			if (rc)
				return bad(l, ppath, "out of memory");
		} else {
			char tp[240];
			snprintf(tp, sizeof(tp), "%s.matcher-type", mpath);
			return bad(l, tp, "expected \"matcher:byteseek\" or "
				   "\"matcher:regex\", found \"%s\"", t);
		}
		set->nb_matchers++;
		map.ids[map.n] = (int)json_integer_value(id);
		map.bits[map.n] = (int)bit;
		map.n++;
	}
	json_t *ev = get(l, d, path, "eval", JSON_STRING, 1, &rc);
	if (!ev)
		return rc;
	char epath[200];
	snprintf(epath, sizeof(epath), "%s.eval", path);
	if (pl_expr_compile(json_string_value(ev), resolve_id, &map,
			    &m->eval[dir], perr, sizeof(perr)) < 0)
		return bad(l, epath, "%s (matcher ids of %s)", perr, path);
	return 0;
}

static int
resolve_dir(const char *ident, size_t len, void *arg)
{
	(void)arg;
	if (len == 7 && strncmp(ident, "request", 7) == 0)
		return 0;
	if (len == 8 && strncmp(ident, "response", 8) == 0)
		return 1;
	return -1;
}

static int
load_contents(struct loader *l, const json_t *root, unsigned idx,
	      struct pl_model *m)
{
	static const char *const known[] = {"request", "response", "protocol",
					    NULL};
	char perr[300];
	int rc = 0;
	json_t *c = get(l, root, "", "contents", JSON_OBJECT, 1, &rc);
	if (!c)
		return rc;
	check_keys(l, c, "contents", known);
	if ((rc = load_direction(l, c, "request", idx, DIR_REQUEST, m)) ||
	    (rc = load_direction(l, c, "response", idx, DIR_RESPONSE, m)))
		return rc;
	if (!m->has_dir[0] && !m->has_dir[1])
		return bad(l, "contents", "expected a request or a response, "
			   "found neither");
	json_t *p = get(l, c, "contents", "protocol", JSON_STRING, 1, &rc);
	if (!p)
		return rc;
	struct pl_expr sel;
	if (pl_expr_compile(json_string_value(p), resolve_dir, NULL, &sel, perr,
			    sizeof(perr)) < 0)
		return bad(l, "contents.protocol", "%s (request, response)", perr);
	/* Two inputs: keep the truth table instead of the program. */
	m->select = 0;
	for (unsigned v = 0; v < 4; v++) {
		struct pl_model_bits b = {{v}};
		if (pl_expr_eval(&sel, &b))
			m->select |= (uint8_t)(1U << v);
	}
	if (m->select & 1)
		return bad(l, "contents.protocol", "expected an expression that "
			   "needs a request or a response, found one true for "
			   "any flow");
	return 0;
}

/* A string, or an integer printed into buf; NULL for anything else. */
static const char *
json_str_or_int(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* A range expression (from, to): a string, or an integer (an extension). */
static int
load_rexpr(struct loader *l, const json_t *pp, const char *ppath,
	   const char *key, bool allow_from, struct pl_rexpr *out)
{
	char path[320], why[200], num[32];
	snprintf(path, sizeof(path), "%s.%s", ppath, key);
	json_t *v = json_object_get(pp, key);
	if (v == NULL)
		return bad(l, path, "expected an expression, found nothing");
	const char *src = json_str_or_int(v, num, sizeof(num));
	if (src == NULL)
		return bad(l, path, "expected an expression, found %s",
			   pl_model_json_type(v));
	if (pl_rexpr_compile(src, allow_from, out, why, sizeof(why)) < 0)
		return bad(l, path, "expected an expression, found \"%s\" (%s)",
			   src, why);
	return 0;
}

/* An optional or required Byteseek pattern of an attribute. */
static int
load_attr_bytes(struct loader *l, const json_t *pp, const char *ppath,
		const char *key, int32_t index, int required, bool *has,
		struct pl_bytes_pattern *out)
{
	char path[320], perr[300];
	int rc = 0;
	json_t *v = get(l, pp, ppath, key, JSON_STRING, required, &rc);
	if (rc || v == NULL)
		return rc;
	snprintf(path, sizeof(path), "%s.%s", ppath, key);
	rc = pl_bytes_compile(json_string_value(v), index, out, perr, sizeof(perr));
	if (rc == -ENOMEM)
		return bad(l, path, "out of memory");
	if (rc)
		return bad(l, path, "%s", perr);
	if (has)
		*has = true;
	return 0;
}

static int
load_attr_range(struct loader *l, const json_t *pp, const char *ppath,
		struct pl_attr *a)
{
	static const char *const known[] = {"seek-pattern-from", "from", "to",
					    NULL};
	int rc;
	check_keys(l, pp, ppath, known);
	a->kind = ATTR_RANGE;
	if ((rc = load_attr_bytes(l, pp, ppath, "seek-pattern-from", -1, 0,
				  &a->has_seek, &a->seek)) ||
	    (rc = load_rexpr(l, pp, ppath, "from", false, &a->from)) ||
	    (rc = load_rexpr(l, pp, ppath, "to", true, &a->to)))
		return rc;
	return 0;
}

static int
load_bits(struct loader *l, const json_t *pp, const char *ppath,
	  const char *key, uint8_t *bytes)
{
	char path[320];
	int rc = 0;
	json_t *v = get(l, pp, ppath, key, JSON_INTEGER, 1, &rc);
	if (!v)
		return rc;
	json_int_t b = json_integer_value(v);
	if (b != 8 && b != 16) {
		snprintf(path, sizeof(path), "%s.%s", ppath, key);
		return bad(l, path, "expected 8 or 16, found %lld", (long long)b);
	}
	*bytes = (uint8_t)(b / 8);
	return 0;
}

static int
load_attr_tlv(struct loader *l, const json_t *pp, const char *ppath,
	      struct pl_attr *a)
{
	static const char *const known[] = {"seek-pattern", "tag-pattern",
					    "tag-bit-length", "length-bit-length",
					    "find-all", NULL};
	char path[320];
	int rc;
	check_keys(l, pp, ppath, known);
	a->kind = ATTR_TLV;
	if ((rc = load_attr_bytes(l, pp, ppath, "seek-pattern", -1, 0,
				  &a->has_seek, &a->seek)) ||
	    (rc = load_attr_bytes(l, pp, ppath, "tag-pattern", 0, 1, NULL,
				  &a->tag)) ||
	    (rc = load_bits(l, pp, ppath, "tag-bit-length", &a->tag_bytes)) ||
	    (rc = load_bits(l, pp, ppath, "length-bit-length", &a->len_bytes)))
		return rc;
	json_t *fa = json_object_get(pp, "find-all");
	if (fa && !json_is_boolean(fa)) {
		snprintf(path, sizeof(path), "%s.find-all", ppath);
		return bad(l, path, "expected a boolean, found %s", pl_model_json_type(fa));
	}
	a->find_all = fa && json_is_true(fa);
	return 0;
}

static int
load_attr_regex(struct loader *l, const json_t *pp, const char *ppath,
		struct pl_attr *a)
{
	static const char *const known[] = {"pattern", "group", NULL};
	char path[320], why[300];
	int rc = 0;
	check_keys(l, pp, ppath, known);
	a->kind = ATTR_REGEX;
	json_t *pat = get(l, pp, ppath, "pattern", JSON_STRING, 1, &rc);
	if (!pat)
		return rc;
	json_t *g = get(l, pp, ppath, "group", JSON_INTEGER, 0, &rc);
	if (rc)
		return rc;
	const char *src = json_string_value(pat);
	snprintf(path, sizeof(path), "%s.pattern", ppath);
	size_t *map = NULL;
	char *tr = pl_java_to_pcre2(src, &map, why, sizeof(why));
	if (tr == NULL)
		return why[0] ? bad(l, path, "expected a regex PCRE2 accepts, "
				    "found \"%s\" (%s)", src, why)
			      : bad(l, path, "out of memory");
	int ecode;
	PCRE2_SIZE eoff;
	a->re = pcre2_compile((PCRE2_SPTR)tr, PCRE2_ZERO_TERMINATED,
			      PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &ecode, &eoff,
			      l->pcre_cc);
	if (a->re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		size_t at = eoff <= strlen(tr) ? map[eoff] : strlen(src);
		free(tr);
		free(map);
		return bad(l, path, "expected a regex PCRE2 accepts, found \"%s\" "
			   "(PCRE2: %s at offset %zu)", src, (const char *)msg, at);
	}
	free(tr);
	free(map);
	/* JIT if this PCRE2 has it; the interpreter otherwise. */
	(void)pcre2_jit_compile(a->re, PCRE2_JIT_COMPLETE);
	uint32_t groups = 0;
	pcre2_pattern_info(a->re, PCRE2_INFO_CAPTURECOUNT, &groups);
	json_int_t gv = g ? json_integer_value(g) : 0;
	if (gv < 0 || gv > groups) {
		snprintf(path, sizeof(path), "%s.group", ppath);
		return bad(l, path, "expected a group 0..%u (the pattern has %u "
			   "capture group%s), found %lld", groups, groups,
			   groups == 1 ? "" : "s", (long long)gv);
	}
	a->group = (uint32_t)gv;
	if (groups + 1 > l->set->regex_pairs)
		l->set->regex_pairs = groups + 1;
	return 0;
}

/* Secrets are never written in clear (DESIGN.md, Outputs). A model says
 * what an attribute is only by its name: the published HTTP model calls the
 * Authorization value "authentication_credential". */
static bool
names_a_secret(const char *name)
{
	static const char *const words[] = {"credential", "password", "passwd",
					    "secret", "token", "apikey",
					    "api-key", "api_key", "api key"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]))
			return true;
	return false;
}

static int
load_attributes(struct loader *l, const json_t *root, struct pl_model *m)
{
	static const char *const known[] = {"name", "parser-type",
					    "parser-pattern", "data-type",
					    "direction", NULL};
	char path[64], ppath[128];
	int rc = 0;
	size_t i;
	json_t *aj;

	json_t *arr = json_object_get(root, "attributes");
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return bad(l, "attributes", "expected an array, found %s",
			   pl_model_json_type(arr));
	size_t n = json_array_size(arr);
	if (n > PL_MODEL_MAX_ATTRS)
		return bad(l, "attributes", "expected at most %d attributes, "
			   "found %zu", PL_MODEL_MAX_ATTRS, n);
	if (n == 0)
		return 0;
	m->attrs = calloc(n, sizeof(*m->attrs));
	if (m->attrs == NULL)
		return bad(l, "attributes", "out of memory");
	json_array_foreach(arr, i, aj) {
		snprintf(path, sizeof(path), "attributes[%zu]", i);
		if (!json_is_object(aj))
			return bad(l, path, "expected an object, found %s",
				   pl_model_json_type(aj));
		check_keys(l, aj, path, known);
		/* counted now, so that a failure below frees what it holds */
		struct pl_attr *a = &m->attrs[m->nb_attrs++];
		json_t *name = get(l, aj, path, "name", JSON_STRING, 1, &rc);
		json_t *type = name ? get(l, aj, path, "parser-type", JSON_STRING, 1, &rc) : NULL;
		json_t *pp = type ? get(l, aj, path, "parser-pattern", JSON_OBJECT, 1, &rc) : NULL;
		json_t *dt = pp ? get(l, aj, path, "data-type", JSON_STRING, 1, &rc) : NULL;
		json_t *dir = dt ? get(l, aj, path, "direction", JSON_STRING, 1, &rc) : NULL;
		if (!dir)
			return rc;
		const char *nm = json_string_value(name);
		if (nm[0] == '\0' || strlen(nm) > 128)
			return bad(l, strcat(path, ".name"), "expected a name of "
				   "1 to 128 characters, found \"%.140s\"", nm);
		for (const char *c = nm; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
				return bad(l, strcat(path, ".name"), "expected a "
					   "name without control characters, '\"' "
					   "or '\\', found \"%s\"", nm);
		a->name = strdup(nm);
		if (a->name == NULL)
			return bad(l, path, "out of memory");
		a->secret = names_a_secret(nm);
		a->uri = strcasestr(nm, "uri") || strcasestr(nm, "url");
		const char *d = json_string_value(dt);
		if (strcasecmp(d, "BYTES") == 0)
			a->string = false;
		else if (strcasecmp(d, "STRING") == 0)
			a->string = true;
		else
			return bad(l, strcat(path, ".data-type"), "expected BYTES "
				   "or STRING, found \"%s\"", d);
		d = json_string_value(dir);
		if (strcasecmp(d, "REQUEST") == 0)
			a->dir = DIR_REQUEST;
		else if (strcasecmp(d, "RESPONSE") == 0)
			a->dir = DIR_RESPONSE;
		else
			return bad(l, strcat(path, ".direction"), "expected "
				   "REQUEST or RESPONSE, found \"%s\"", d);
		snprintf(ppath, sizeof(ppath), "%s.parser-pattern", path);
		const char *t = json_string_value(type);
		if (strcmp(t, "parser:byteseek:range") == 0)
			rc = load_attr_range(l, pp, ppath, a);
		else if (strcmp(t, "parser:byteseek:tlv") == 0)
			rc = load_attr_tlv(l, pp, ppath, a);
		else if (strcmp(t, "parser:regex") == 0)
			rc = load_attr_regex(l, pp, ppath, a);
		else
			rc = bad(l, strcat(path, ".parser-type"), "expected "
				 "\"parser:byteseek:range\", \"parser:byteseek:tlv\" "
				 "or \"parser:regex\", found \"%s\"", t);
		if (rc)
			return rc;
		m->has_attrs[a->dir] = true;
		if (a->kind == ATTR_REGEX)
			m->regex_attrs[a->dir] = true;
		/* a name given twice for a direction: one slot, first found wins */
		a->name_id = (uint8_t)(m->nb_attrs - 1);
		for (unsigned k = 0; k + 1 < m->nb_attrs; k++)
			if (m->attrs[k].dir == a->dir &&
			    strcmp(m->attrs[k].name, a->name) == 0) {
				a->name_id = (uint8_t)k;
				break;
			}
	}
	return 0;
}

static int
load_file(struct loader *l, const char *dir, const char *name)
{
	static const char *const known[] = {"info", "metadata", "contents",
					    "attributes", "best-practices",
					    NULL};
	char path[4096];
	json_error_t je;
	struct pl_model_set *set = l->set;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(l->file_buf, sizeof(l->file_buf), "%s", path);
	l->file = l->file_buf;
	if (set->nb_models == PL_MODEL_MAX)
		return bad(l, "$", "expected at most %d models", PL_MODEL_MAX);
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(l->err, l->errlen, "%s: line %d column %d: %s", path,
			 je.line, je.column, je.text);
		return -EINVAL;
	}
	unsigned idx = set->nb_models;
	struct pl_model *m = &set->models[idx];
	memset(m, 0, sizeof(*m));
	snprintf(m->file, sizeof(m->file), "%s", name);
	if (!json_is_object(root))
		rc = bad(l, "$", "expected an object, found %s", pl_model_json_type(root));
	else {
		check_keys(l, root, "", known);
		rc = load_info(l, root, m);
		if (!rc)
			rc = load_metadata(l, root, idx, m);
		if (!rc)
			rc = load_contents(l, root, idx, m);
		if (!rc)
			rc = load_attributes(l, root, m);
		/* Checked by lib/policy, which knows what a rule says. */
		json_t *bp = json_object_get(root, "best-practices");
		if (!rc && bp && !json_is_array(bp))
			rc = bad(l, "best-practices", "expected an array, found %s",
				 pl_model_json_type(bp));
		else if (!rc && bp)
			m->rules = json_incref(bp);
	}
	json_decref(root);
	if (!rc)
		set->nb_models++;
	else
		pl_model_attrs_free(m);
	return rc;
}

static int
compile_regex(struct loader *l)
{
	if (l->nb_regex == 0)
		return 0;
	unsigned flags[PL_MODEL_MAX_MATCHERS];
	hs_compile_error_t *ce = NULL;
	for (unsigned i = 0; i < l->nb_regex; i++)
		flags[i] = HS_FLAG_SINGLEMATCH;
	if (hs_compile_multi((const char *const *)l->regex, flags, l->regex_id,
			     l->nb_regex, HS_MODE_BLOCK, NULL, &l->set->db,
			     &ce) == HS_SUCCESS)
		return 0;
	int e = ce->expression;
	if (e >= 0 && (unsigned)e < l->nb_regex)
		snprintf(l->err, l->errlen, "%s: %s: expected a regex Hyperscan "
			 "accepts, found one it rejects: %s", l->regex_file[e],
			 l->regex_path[e], ce->message);
	else
		snprintf(l->err, l->errlen, "regex database: %s", ce->message);
	hs_free_compile_error(ce);
	return -EINVAL;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct pl_model_set *
pl_model_set_load(const char *dir, char *err, size_t errlen,
		  void (*warn)(const char *msg))
{
	struct timespec t0, t1;
	struct loader l = {.err = err, .errlen = errlen, .warn = warn};
	char *names[PL_MODEL_MAX + 1];
	unsigned n = 0;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: cannot open the model directory: %s",
			 dir, strerror(errno));
		return NULL;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == PL_MODEL_MAX + 1)
			break;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		snprintf(err, errlen, "%s: expected model files (*.json), found "
			 "none", dir);
		return NULL;
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	l.set = calloc(1, sizeof(*l.set));
	/* Regex attributes: java.util.regex's `.` stops at CR and LF, and
	 * `$` before a final CR, LF or CRLF: PCRE2's ANYCRLF newline. */
	l.pcre_cc = pcre2_compile_context_create(NULL);
	if (l.pcre_cc)
		pcre2_set_newline(l.pcre_cc, PCRE2_NEWLINE_ANYCRLF);
	if (l.set == NULL || l.pcre_cc == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	}
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = load_file(&l, dir, names[i]);
	if (rc == 0)
		rc = compile_regex(&l);
	if (rc == 0 && pl_anchored_build(l.set) != 0) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
	for (unsigned i = 0; i < l.nb_regex; i++)
		free(l.regex[i]);
	pcre2_compile_context_free(l.pcre_cc);
	if (rc != 0) {
		pl_model_set_free(l.set);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	l.set->compile_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return l.set;
}

void
pl_model_set_free(struct pl_model_set *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->nb_models; i++) {
		pl_model_attrs_free(&s->models[i]);
		json_decref(s->models[i].rules);
	}
	for (unsigned i = 0; i < s->nb_matchers; i++)
		pl_bytes_free(&s->matchers[i].bytes);
	for (unsigned i = 0; i < s->nb_branches; i++)
		pl_bytes_free(&s->branches[i].bytes);
	for (unsigned c = 0; c < s->nb_classes; c++)
		free(s->cls[c].anch.table);
	hs_free_database(s->db);
	free(s);
}
