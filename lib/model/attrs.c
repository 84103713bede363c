/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model-driven attributes (the `attributes` section of a model,
 * docs/models.md "Attributes"): range expressions compiled to postfix, the
 * java.util.regex -> PCRE2 translation, and the evaluation of a model's
 * attributes on one payload into a struct pl_attrs (lib/proto's writer).
 * Nothing here allocates per payload: regexes use the scratch's match data.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"
#include "proto.h"

/* ---- range expressions ---- */

struct rp {
	const char *s;
	size_t pos;
	bool allow_from;
	struct pl_rexpr *out;
	int sp, max_sp; /* stack depth while compiling */
	int depth;      /* nested parentheses */
	char *why;
	size_t whylen;
};

static int
rfail(struct rp *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why, p->whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void
rws(struct rp *p)
{
	while (isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static int
remit(struct rp *p, uint8_t op, uint32_t num)
{
	if (p->out->n == PL_REXPR_MAX)
		return rfail(p, "longer than %d operations", PL_REXPR_MAX);
	p->out->op[p->out->n] = op;
	p->out->num[p->out->n] = num;
	p->out->n++;
	if (op == RX_NUM || op == RX_FROM)
		p->sp++;
	else if (op != RX_BYTE)
		p->sp--; /* binary */
	if (p->sp > p->max_sp)
		p->max_sp = p->sp;
	if (p->max_sp > PL_REXPR_STACK)
		return rfail(p, "nested deeper than %d operands", PL_REXPR_STACK);
	return 0;
}

static int rparse_or(struct rp *p);

/* `(` e `)` or `$(` e `)`: the opening parenthesis is at p->pos. */
static int
rparen(struct rp *p)
{
	if (++p->depth > 32)
		return rfail(p, "more than 32 nested parentheses");
	p->pos++;
	if (rparse_or(p) < 0)
		return -EINVAL;
	rws(p);
	if (p->s[p->pos] != ')') {
		if (p->s[p->pos] == '\0')
			return rfail(p, "unbalanced parenthesis");
		return rfail(p, "expected an operator or ')' at offset %zu",
			     p->pos);
	}
	p->pos++;
	p->depth--;
	return 0;
}

static int
rparse_primary(struct rp *p)
{
	rws(p);
	const char *s = p->s;
	char c = s[p->pos];
	if (c == '(')
		return rparen(p);
	if (c == '$') {
		size_t at = p->pos++;
		rws(p);
		if (s[p->pos] != '(')
			return rfail(p, "expected '(' after '$' at offset %zu", at);
		if (rparen(p) < 0)
			return -EINVAL;
		return remit(p, RX_BYTE, 0);
	}
	if (isdigit((unsigned char)c)) {
		size_t at = p->pos;
		unsigned long long v = 0;
		int base = 10;
		if (c == '0' && (s[at + 1] == 'x' || s[at + 1] == 'X')) {
			base = 16;
			p->pos += 2;
			if (!isxdigit((unsigned char)s[p->pos]))
				return rfail(p, "expected hex digits at offset %zu",
					     p->pos);
		}
		while (base == 10 ? isdigit((unsigned char)s[p->pos])
				  : isxdigit((unsigned char)s[p->pos])) {
			char d = s[p->pos++];
			unsigned dv = isdigit((unsigned char)d)
					      ? (unsigned)(d - '0')
					      : (unsigned)(tolower((unsigned char)d) - 'a' + 10);
			v = v * (unsigned)base + dv;
			if (v > 0xffffffffULL)
				return rfail(p, "number above 4294967295 at offset %zu",
					     at);
		}
		if (isalpha((unsigned char)s[p->pos]) || s[p->pos] == '_')
			return rfail(p, "expected a number at offset %zu", at);
		return remit(p, RX_NUM, (uint32_t)v);
	}
	if (isalpha((unsigned char)c) || c == '_') {
		size_t at = p->pos;
		while (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_')
			p->pos++;
		size_t n = p->pos - at;
		if (n == 4 && strncmp(s + at, "from", 4) == 0) {
			if (!p->allow_from)
				return rfail(p, "'from' at offset %zu: only `to` "
					     "may use the value of from", at);
			return remit(p, RX_FROM, 0);
		}
		return rfail(p, "unknown name '%.*s' at offset %zu (only 'from')",
			     (int)n, s + at, at);
	}
	if (c == '\0')
		return rfail(p, p->depth ? "unbalanced parenthesis"
					 : "no operand at the end");
	if (c == ')')
		return rfail(p, "unbalanced parenthesis at offset %zu", p->pos);
	return rfail(p, "expected a number, 'from', '$(' or '(' at offset %zu",
		     p->pos);
}

static int
rparse_add(struct rp *p)
{
	if (rparse_primary(p) < 0)
		return -EINVAL;
	for (;;) {
		rws(p);
		char c = p->s[p->pos];
		if (c != '+' && c != '-')
			return 0;
		p->pos++;
		if (rparse_primary(p) < 0 ||
		    remit(p, c == '+' ? RX_ADD : RX_SUB, 0) < 0)
			return -EINVAL;
	}
}

static int
rparse_shl(struct rp *p)
{
	if (rparse_add(p) < 0)
		return -EINVAL;
	for (;;) {
		rws(p);
		if (p->s[p->pos] != '<')
			return 0;
		p->pos++;
		if (p->s[p->pos] == '<') /* `<<` is accepted too */
			p->pos++;
		if (rparse_add(p) < 0 || remit(p, RX_SHL, 0) < 0)
			return -EINVAL;
	}
}

static int
rparse_or(struct rp *p)
{
	if (rparse_shl(p) < 0)
		return -EINVAL;
	for (;;) {
		rws(p);
		if (p->s[p->pos] != '|')
			return 0;
		p->pos++;
		if (rparse_shl(p) < 0 || remit(p, RX_OR, 0) < 0)
			return -EINVAL;
	}
}

int
pl_rexpr_compile(const char *src, bool allow_from, struct pl_rexpr *out,
		 char *why, size_t whylen)
{
	struct rp p = {.s = src, .allow_from = allow_from, .out = out,
		       .why = why, .whylen = whylen};
	memset(out, 0, sizeof(*out));
	rws(&p);
	if (src[p.pos] == '\0')
		return rfail(&p, "empty");
	if (rparse_or(&p) < 0)
		return -EINVAL;
	rws(&p);
	if (src[p.pos] == ')')
		return rfail(&p, "unbalanced parenthesis at offset %zu", p.pos);
	if (src[p.pos] != '\0')
		return rfail(&p, "expected an operator (+ - < |) at offset %zu",
			     p.pos);
	return 0;
}

bool
pl_rexpr_eval(const struct pl_rexpr *e, const uint8_t *p, size_t len,
	      int64_t base, int64_t from_val, int64_t *out)
{
	int64_t st[PL_REXPR_STACK];
	int sp = 0;
	for (unsigned i = 0; i < e->n; i++) {
		int64_t a, b, v;
		switch (e->op[i]) {
		case RX_NUM:
			st[sp++] = e->num[i];
			continue;
		case RX_FROM:
			st[sp++] = from_val;
			continue;
		case RX_BYTE:
			a = base + st[sp - 1];
			if (a < 0 || (uint64_t)a >= len)
				return false;
			st[sp - 1] = p[a];
			continue;
		default:
			break;
		}
		b = st[--sp];
		a = st[sp - 1];
		switch (e->op[i]) {
		case RX_ADD:
			v = a + b;
			break;
		case RX_SUB:
			v = a - b;
			break;
		case RX_SHL:
			if (a < 0 || b < 0 || b > 31)
				return false;
			v = (int64_t)((uint64_t)a << b);
			break;
		default: /* RX_OR */
			if (a < 0 || b < 0)
				return false;
			v = a | b;
			break;
		}
		if (v > PL_REXPR_LIMIT || v < -PL_REXPR_LIMIT)
			return false;
		st[sp - 1] = v;
	}
	*out = st[0];
	return true;
}

/* ---- java.util.regex -> PCRE2 ---- */

static int
hex4(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

char *
pl_java_to_pcre2(const char *src, size_t **mapp, char *why, size_t whylen)
{
	size_t n = strlen(src);
	/* growth: \uhhhh (6) -> \x{hhhh} (8); (?x) -> (?xx) */
	size_t cap = n * 2 + 1;
	char *out = malloc(cap);
	size_t *map = malloc(cap * sizeof(*map));
	size_t o = 0;
	int in_class = 0;

	why[0] = '\0';
	if (!out || !map) {
		free(out);
		free(map);
		return NULL;
	}
#define PUT(c, from)                \
	do {                        \
		map[o] = (from);    \
		out[o++] = (c);     \
	} while (0)
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '\\' && i + 1 < n) {
			char d = src[i + 1];
			if (d == 'Q') { /* literal up to \E: copied as it is */
				const char *e = strstr(src + i + 2, "\\E");
				size_t end = e ? (size_t)(e - src) + 2 : n;
				for (; i < end; i++)
					PUT(src[i], i);
				i--;
				continue;
			}
			if (d == 'u' && hex4(src + i + 2)) {
				const char *x = "\\x{";
				for (int k = 0; k < 3; k++)
					PUT(x[k], i);
				for (int k = 0; k < 4; k++)
					PUT(src[i + 2 + k], i + 2 + k);
				PUT('}', i + 5);
				i += 5;
				continue;
			}
			PUT(c, i);
			PUT(d, i + 1);
			i++;
			continue;
		}
		if (in_class) {
			if (c == '[') {
				snprintf(why, whylen, "'[' inside a class at offset %zu "
					 "(a union in Java, not in PCRE2: escape it "
					 "or write one class)", i);
				goto fail;
			}
			if (c == '&' && src[i + 1] == '&') {
				snprintf(why, whylen, "'&&' inside a class at offset "
					 "%zu (a Java class intersection, not supported)",
					 i);
				goto fail;
			}
			if (c == ']')
				in_class = 0;
			PUT(c, i);
			continue;
		}
		if (c == '[') {
			in_class = 1;
			PUT(c, i);
			if (src[i + 1] == '^') {
				i++;
				PUT(src[i], i);
			}
			if (src[i + 1] == ']') { /* literal, as in PCRE2 */
				i++;
				PUT(src[i], i);
			}
			continue;
		}
		if (c == '(' && src[i + 1] == '?' &&
		    (isalpha((unsigned char)src[i + 2]) || src[i + 2] == '-')) {
			/* inline flags (?idmsuxU-idmsuxU) or (?flags:...) */
			size_t k = i + 2;
			int off = 0;
			PUT('(', i);
			PUT('?', i + 1);
			for (; isalpha((unsigned char)src[k]) || src[k] == '-'; k++) {
				if (src[k] == '-')
					off = 1;
				if (src[k] == 'U') {
					snprintf(why, whylen, "inline flag 'U' at offset "
						 "%zu (UNICODE_CHARACTER_CLASS in Java, "
						 "ungreedy in PCRE2)", k);
					goto fail;
				}
				PUT(src[k], k);
				/* Java's comments mode also ignores spaces in
				 * classes: PCRE2's xx */
				if (src[k] == 'x' && !off)
					PUT('x', k);
			}
			i = k - 1;
			continue;
		}
		PUT(c, i);
	}
#undef PUT
	out[o] = '\0';
	map[o] = n;
	*mapp = map;
	return out;
fail:
	free(out);
	free(map);
	return NULL;
}

/* ---- evaluation ---- */

void
pl_model_attrs_free(struct pl_model *m)
{
	for (unsigned i = 0; i < m->nb_attrs; i++) {
		struct pl_attr *a = &m->attrs[i];
		free(a->name);
		pl_bytes_free(&a->seek);
		pl_bytes_free(&a->tag);
		pcre2_code_free(a->re);
	}
	free(m->attrs);
	m->attrs = NULL;
	m->nb_attrs = 0;
}

bool
pl_model_has_attrs(const struct pl_model_set *s, unsigned model,
		   bool response)
{
	if (s == NULL || model >= s->nb_models)
		return false;
	return s->models[model].has_attrs[response ? 1 : 0];
}

static void
put_value(struct pl_attrs *out, const struct pl_attr *a, const char *key,
	  const uint8_t *v, size_t n)
{
	/* A URI may carry secrets in its query or path: the same redaction
	 * as the native HTTP dissector's, before it is written in any form. */
	char redacted[4096];
	size_t rn = a->uri ? pl_http_redact_uri(v, n, redacted, sizeof(redacted))
			   : 0;
	if (rn > 0) {
		v = (const uint8_t *)redacted;
		n = rn;
	}
	if (a->secret)
		pl_attrs_secret(out, key, v, n);
	else if (a->string)
		pl_attrs_str(out, key, v, n);
	else
		pl_attrs_hex(out, key, v, n);
}

static bool
eval_range(const struct pl_attr *a, const uint8_t *p, size_t len,
	   struct pl_attrs *out)
{
	int64_t base = 0, from, to;
	if (a->has_seek) {
		base = pl_bytes_find(&a->seek, p, (uint32_t)len);
		if (base < 0)
			return false;
	}
	if (!pl_rexpr_eval(&a->from, p, len, base, 0, &from) ||
	    !pl_rexpr_eval(&a->to, p, len, base, from, &to))
		return false;
	from += base;
	to += base;
	if (from < 0 || to < from || (uint64_t)to > len)
		return false;
	put_value(out, a, a->name, p + from, (size_t)(to - from));
	return true;
}

/*
 * The next TLV at or after *pos whose start matches the tag pattern: its
 * value in *v, *vn; *pos moves past it. With 8-bit tags, tag 0 is a
 * one-byte pad and tag 255 ends the walk (DHCP, RFC 2132 3.1-3.2).
 */
static bool
tlv_next(const struct pl_attr *a, const uint8_t *p, size_t len, size_t *pos,
	 const uint8_t **v, size_t *vn)
{
	size_t i = *pos;
	size_t hdr = (size_t)a->tag_bytes + a->len_bytes;
	while (i < len) {
		if (a->tag_bytes == 1) {
			if (p[i] == 0) {
				i++;
				continue;
			}
			if (p[i] == 255)
				break;
		}
		if (len - i < hdr)
			break;
		const uint8_t *l = p + i + a->tag_bytes;
		size_t n = a->len_bytes == 1 ? l[0] : (size_t)(l[0] << 8 | l[1]);
		if (len - i - hdr < n)
			break; /* cut: nothing after it can be read either */
		bool hit = pl_bytes_match(&a->tag, p + i, (uint32_t)(len - i));
		size_t at = i;
		i += hdr + n;
		if (hit) {
			*v = p + at + hdr;
			*vn = n;
			*pos = i;
			return true;
		}
	}
	*pos = len;
	return false;
}

static bool
eval_tlv(const struct pl_attr *a, const uint8_t *p, size_t len,
	 struct pl_attrs *out)
{
	size_t pos = 0, vn;
	const uint8_t *v;
	if (a->has_seek) {
		int64_t at = pl_bytes_find(&a->seek, p, (uint32_t)len);
		if (at < 0)
			return false;
		pos = (size_t)at + a->seek.len;
	}
	if (!tlv_next(a, p, len, &pos, &v, &vn))
		return false;
	if (!a->find_all) {
		put_value(out, a, a->name, v, vn);
		return true;
	}
	pl_attrs_array(out, a->name);
	do
		put_value(out, a, NULL, v, vn);
	while (tlv_next(a, p, len, &pos, &v, &vn));
	pl_attrs_end(out);
	return true;
}

static bool
eval_regex(const struct pl_attr *a, struct pl_model_scratch *sc,
	   const uint8_t *p, size_t len, struct pl_attrs *out)
{
	int rc = pcre2_match(a->re, p, len, 0, 0, sc->md,
			     sc->mctx);
	/* no match, the match limit, or any other failure: absent */
	if (rc <= 0 || (uint32_t)rc <= a->group)
		return false;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
	PCRE2_SIZE b = ov[2 * a->group], e = ov[2 * a->group + 1];
	if (b == PCRE2_UNSET || e == PCRE2_UNSET || e < b || e > len)
		return false;
	put_value(out, a, a->name, p + b, e - b);
	return true;
}

int
pl_model_attrs(const struct pl_model_set *s, struct pl_model_scratch *sc,
	       unsigned model, bool response, const uint8_t *p, size_t len,
	       struct pl_attrs *out)
{
	static const uint8_t empty[1];
	if (s == NULL || out == NULL || model >= s->nb_models ||
	    (p == NULL && len > 0) || len > UINT32_MAX)
		return -EINVAL;
	if (p == NULL)
		p = empty;
	const struct pl_model *m = &s->models[model];
	unsigned dir = response ? DIR_RESPONSE : DIR_REQUEST;
	if (!m->has_attrs[dir])
		return 0;
	if (m->regex_attrs[dir] &&
	    (sc == NULL || sc->set != s || sc->md == NULL))
		return -EINVAL;
	uint64_t found[PL_MODEL_MAX_ATTRS / 64] = {0};
	int n = 0;
	for (unsigned i = 0; i < m->nb_attrs; i++) {
		const struct pl_attr *a = &m->attrs[i];
		if (a->dir != dir || (found[a->name_id >> 6] >> (a->name_id & 63) & 1))
			continue;
		bool ok;
		if (a->kind == ATTR_RANGE)
			ok = eval_range(a, p, len, out);
		else if (a->kind == ATTR_TLV)
			ok = eval_tlv(a, p, len, out);
		else
			ok = eval_regex(a, sc, p, len, out);
		if (ok) {
			found[a->name_id >> 6] |= 1ULL << (a->name_id & 63);
			n++;
		}
	}
	return n;
}
