/* SPDX-License-Identifier: BSD-3-Clause */
/* eval/select expressions: recursive descent to postfix, evaluated with a
 * bit stack, so nothing is parsed per packet. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

enum { OP_AND = 0x8000, OP_OR = 0x8001, OP_NOT = 0x8002 };

struct ep {
	const char *s;
	size_t pos;
	pl_expr_resolve_t resolve;
	void *arg;
	struct pl_expr *out;
	char *err;
	size_t errlen;
	int depth;
};

static int
efail(struct ep *p, const char *what)
{
	if (p->s[p->pos])
		snprintf(p->err, p->errlen, "expected %s, found '%.16s' at offset %zu",
			 what, p->s + p->pos, p->pos);
	else
		snprintf(p->err, p->errlen, "expected %s, found the end", what);
	return -EINVAL;
}

static void
ws(struct ep *p)
{
	while (isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static int
emit(struct ep *p, uint16_t op)
{
	if (p->out->n == PL_EXPR_MAX)
		return efail(p, "a shorter expression");
	p->out->op[p->out->n++] = op;
	return 0;
}

static int parse_or(struct ep *p);

static int
parse_factor(struct ep *p)
{
	ws(p);
	char c = p->s[p->pos];
	if (c == '!') {
		p->pos++;
		if (parse_factor(p) < 0)
			return -EINVAL;
		return emit(p, OP_NOT);
	}
	if (c == '(') {
		if (++p->depth > 32)
			return efail(p, "at most 32 nested parentheses");
		p->pos++;
		if (parse_or(p) < 0)
			return -EINVAL;
		ws(p);
		if (p->s[p->pos] != ')')
			return efail(p, "')'");
		p->pos++;
		p->depth--;
		return 0;
	}
	size_t start = p->pos;
	while (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_' ||
	       p->s[p->pos] == '-')
		p->pos++;
	if (p->pos == start)
		return efail(p, "an identifier, '!' or '('");
	int idx = p->resolve(p->s + start, p->pos - start, p->arg);
	if (idx < 0) {
		p->pos = start;
		return efail(p, "a known identifier");
	}
	return emit(p, (uint16_t)idx);
}

static int
parse_and(struct ep *p)
{
	if (parse_factor(p) < 0)
		return -EINVAL;
	for (;;) {
		ws(p);
		if (p->s[p->pos] != '&')
			return 0;
		p->pos++;
		if (parse_factor(p) < 0 || emit(p, OP_AND) < 0)
			return -EINVAL;
	}
}

static int
parse_or(struct ep *p)
{
	if (parse_and(p) < 0)
		return -EINVAL;
	for (;;) {
		ws(p);
		if (p->s[p->pos] != '|')
			return 0;
		p->pos++;
		if (parse_and(p) < 0 || emit(p, OP_OR) < 0)
			return -EINVAL;
	}
}

bool
pl_expr_eval_postfix(const struct pl_expr *e, const struct pl_model_bits *bits)
{
	uint64_t stack = 0; /* bit i: value at depth i */
	int sp = 0;
	for (uint16_t i = 0; i < e->n; i++) {
		uint16_t op = e->op[i];
		if (op < OP_AND) {
			uint64_t v = (bits->w[op >> 6] >> (op & 63)) & 1;
			stack = (stack & ~(1ULL << sp)) | (v << sp);
			sp++;
		} else if (op == OP_NOT) {
			stack ^= 1ULL << (sp - 1);
		} else {
			uint64_t a = (stack >> (sp - 2)) & 1;
			uint64_t b = (stack >> (sp - 1)) & 1;
			uint64_t v = op == OP_AND ? (a & b) : (a | b);
			sp--;
			stack = (stack & ~(1ULL << (sp - 1))) | (v << (sp - 1));
		}
	}
	return sp == 1 && (stack & 1);
}

/* An expression whose bits lie within TT_MAX of one word is evaluated by
 * a table of its value for each combination of them: the postfix loop's
 * branches, taken differently for each protocol's payloads, were
 * mispredicted (a sixth of detection's cost, warm). */
#define TT_MAX 6

static void
truth_table(struct pl_expr *e)
{
	int word = -1;
	for (int w = 0; w < PL_MODEL_MAX_MATCHERS / 64; w++)
		if (e->refs.w[w]) {
			if (word >= 0)
				return;
			word = w;
		}
	if (word < 0)
		return; /* constant: when_none */
	uint64_t r = e->refs.w[word];
	unsigned lo = (unsigned)__builtin_ctzll(r);
	unsigned span = 64 - (unsigned)__builtin_clzll(r) - lo;
	if (span > TT_MAX)
		return;
	for (uint64_t v = 0; v < (1ULL << span); v++) {
		struct pl_model_bits b = {{0}};
		b.w[word] = v << lo;
		if (pl_expr_eval_postfix(e, &b))
			e->truth |= 1ULL << v;
	}
	e->tt_word = (uint8_t)word;
	e->tt_shift = (uint8_t)lo;
	e->tt_bits = (uint8_t)span;
}

int
pl_expr_compile(const char *src, pl_expr_resolve_t resolve, void *arg,
		struct pl_expr *out, char *err, size_t errlen)
{
	struct ep p = {.s = src, .resolve = resolve, .arg = arg, .out = out,
		       .err = err, .errlen = errlen};
	memset(out, 0, sizeof(*out));
	if (parse_or(&p) < 0)
		return -EINVAL;
	ws(&p);
	if (src[p.pos] != '\0')
		return efail(&p, "'&', '|' or the end");
	static const struct pl_model_bits none;
	for (uint16_t i = 0; i < out->n; i++)
		if (out->op[i] < OP_AND)
			out->refs.w[out->op[i] >> 6] |= 1ULL << (out->op[i] & 63);
	out->when_none = pl_expr_eval_postfix(out, &none);
	truth_table(out);
	return 0;
}
