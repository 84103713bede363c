/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_MODEL_H
#define PL_MODEL_H

/**
 * @file
 * Protocol data models (ProtoIoT schema, docs/models.md): loading and
 * validation, Byteseek and regex automata, eval/select expressions, and the
 * per-payload detection a worker runs on unclassified flows.
 *
 * No DPDK: a set is built once at start-up, then only read; each worker
 * has its own scratch.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** A set of byte values (bit b set: byte b belongs). */
struct pl_byteset {
	uint64_t w[4];
};

static inline bool
pl_byteset_has(const struct pl_byteset *s, uint8_t b)
{
	return (s->w[b >> 6] >> (b & 63)) & 1;
}

/** A compiled Byteseek pattern: a fixed-length sequence of byte sets. */
struct pl_bytes_pattern {
	struct pl_byteset *sets;
	uint32_t len;
	int32_t index;      /**< offset it must match at, or -1: anywhere */
	uint8_t first_byte; /**< the only value of sets[0], if first_single */
	bool first_single;
};

/**
 * Compile a Byteseek pattern (syntax in byteseek.c and docs/models.md).
 * @param index  payload offset the pattern is anchored at, -1 for anywhere
 * @param err    receives "what was expected, found what at offset N"
 * @return 0, -EINVAL (syntax; err set), -ENOMEM.
 */
int pl_bytes_compile(const char *src, int32_t index,
		     struct pl_bytes_pattern *out, char *err, size_t errlen);

/** Release a compiled pattern. */
void pl_bytes_free(struct pl_bytes_pattern *p);

/**
 * Where the pattern occurs in data: its index if it matches there (an
 * anchored pattern), else the offset of the first (leftmost) occurrence.
 * @return the offset, or -1 if it does not occur.
 */
int64_t pl_bytes_find(const struct pl_bytes_pattern *p, const uint8_t *data,
		      uint32_t len);

/**
 * Whether the pattern occurs in data (at its index, or anywhere). Inline:
 * detection tests a dozen anchored patterns per payload, and the calls
 * were most of their cost.
 */
static inline bool
pl_bytes_match(const struct pl_bytes_pattern *p, const uint8_t *data,
	       uint32_t len)
{
	if (p->index < 0)
		return pl_bytes_find(p, data, len) >= 0;
	if (len < p->len || (uint32_t)p->index > len - p->len)
		return false;
	const uint8_t *d = data + p->index;
	for (uint32_t i = 0; i < p->len; i++)
		if (!pl_byteset_has(&p->sets[i], d[i]))
			return false;
	return true;
}

/** Most matchers over all models (bits of struct pl_model_bits). */
#define PL_MODEL_MAX_MATCHERS 256
/** Most models in a set (bits of a model mask). */
#define PL_MODEL_MAX 32
/** Longest compiled expression, in operations. */
#define PL_EXPR_MAX 64

struct pl_model_bits {
	uint64_t w[PL_MODEL_MAX_MATCHERS / 64];
};

/** An eval or select expression compiled to postfix operations. */
struct pl_expr {
	/* Truth table, if the bits read lie within tt_bits (1..6) of one
	 * word: bit v is the value when bits tt_shift.. of word tt_word
	 * are v. tt_bits 0: evaluated from op. First: detection reads only
	 * this line. */
	uint64_t truth;
	uint8_t tt_word, tt_shift, tt_bits;
	bool when_none;            /**< its value when none of them is set */
	uint16_t n;
	uint16_t op[PL_EXPR_MAX];
	struct pl_model_bits refs; /**< the bits it reads */
};

/**
 * Resolves an identifier of an expression to a bit index.
 * @return the index (>= 0), or -1 if the identifier is unknown.
 */
typedef int (*pl_expr_resolve_t)(const char *ident, size_t len, void *arg);

/**
 * Compile an expression of identifiers, `&`, `|`, `!` and parentheses
 * (precedence ! > & > |).
 * @return 0, or -EINVAL with err set ("expected ..., found ... at offset N").
 */
int pl_expr_compile(const char *src, pl_expr_resolve_t resolve, void *arg,
		    struct pl_expr *out, char *err, size_t errlen);

/** Evaluate a compiled expression from its operations. */
bool pl_expr_eval_postfix(const struct pl_expr *e,
			  const struct pl_model_bits *bits);

/** Evaluate a compiled expression on a bitmap: from its truth table if it
 * has one (a shift and a mask), else from its operations. */
static inline bool
pl_expr_eval(const struct pl_expr *e, const struct pl_model_bits *bits)
{
	if (e->tt_bits)
		return e->truth >> (bits->w[e->tt_word] >> e->tt_shift &
				    ((1U << e->tt_bits) - 1)) & 1;
	return pl_expr_eval_postfix(e, bits);
}

/** Traffic mode of a packet's destination (metadata traffic-mode). */
enum pl_model_mode {
	PL_MODE_UNICAST = 0,
	PL_MODE_BROADCAST = 1,
	PL_MODE_MULTICAST = 2,
};

/** Which direction(s) of a flow satisfied a model. */
#define PL_MATCHED_REQUEST 1
#define PL_MATCHED_RESPONSE 2

struct pl_model_set;
struct pl_model_scratch;

/**
 * Load every `*.json` file of dir (in name order) and compile them.
 * A bad file stops the load: err receives "file: json.path: what was
 * expected, what was found". Unknown keys are reported to warn (one line
 * each, may be NULL) and otherwise ignored.
 * @return the set, or NULL with err set.
 */
struct pl_model_set *pl_model_set_load(const char *dir, char *err,
				       size_t errlen,
				       void (*warn)(const char *msg));

/** Free a set; NULL is a no-op. */
void pl_model_set_free(struct pl_model_set *s);

/** Number of models in the set. */
unsigned pl_model_count(const struct pl_model_set *s);

/** A model's abbreviation (info.abbreviation), e.g. "tls". */
const char *pl_model_name(const struct pl_model_set *s, unsigned model);

/** Whether port is one of the model's metadata server ports. */
bool pl_model_std_port(const struct pl_model_set *s, unsigned model,
		       uint16_t port);

/**
 * A model's `best-practices` section (docs/models.md), as loaded: checked
 * to be an array, its rules are lib/policy's to compile.
 * @param file  out (if not NULL): the model's file name, for messages
 * @return the array (owned by the set), or NULL if the model has none.
 */
const json_t *pl_model_rules(const struct pl_model_set *s, unsigned model,
			     const char **file);

/** What a JSON value is, for messages: "an object", "an integer", ... */
const char *pl_model_json_type(const json_t *j);

/** Milliseconds the last pl_model_set_load spent compiling. */
double pl_model_compile_ms(const struct pl_model_set *s);

/**
 * Allocate the scratch one worker needs to inspect payloads
 * (pl_model_inspect) and to extract attributes (pl_model_attrs): the
 * Hyperscan scratch, and, if a model has regex attributes, one PCRE2 match
 * data sized for the largest capture count of the set, a match context
 * (match limit) and a JIT stack, so that nothing is allocated per call.
 * A scratch belongs to the set it was allocated for, and to one thread.
 * @return the scratch, or NULL (no memory).
 */
struct pl_model_scratch *pl_model_scratch_alloc(const struct pl_model_set *s);

/** Free a scratch; NULL is a no-op. */
void pl_model_scratch_free(struct pl_model_scratch *sc);

/**
 * Models a packet may belong to, from the metadata pre-filters.
 * @param ether_type  0x0800 or 0x86dd
 */
uint32_t pl_model_candidates(const struct pl_model_set *s, uint16_t ether_type,
			     uint8_t ip_proto, enum pl_model_mode mode);

/**
 * Run the automata of the candidate models on one payload.
 * @param ip_proto    the payload's IP protocol, as given to
 *                    pl_model_candidates: it picks the automaton of the
 *                    models that protocol allows
 * @param candidates  pl_model_candidates() for that protocol, or a subset;
 *                    models the protocol does not allow are ignored
 * @param req   out: models whose request eval holds on this payload
 * @param resp  out: models whose response eval holds
 * @return 0, or -EIO if the regex engine failed (counted by the caller).
 */
int pl_model_inspect(const struct pl_model_set *s,
		     struct pl_model_scratch *sc, uint8_t ip_proto,
		     uint32_t candidates, const uint8_t *payload, uint32_t len,
		     uint32_t *req, uint32_t *resp);

/**
 * How far into a payload the anchored automata's first steps read (UDP's,
 * as far as a DHCP message's magic cookie): the payload lines worth
 * prefetching before pl_model_inspect. Prefetching the automaton's table
 * lines as well, a few packets ahead, cost more than it saved (it has to
 * read the payload's bytes to know which lines).
 */
uint32_t pl_model_reach(const struct pl_model_set *s);

/** Models whose select expression holds given what a flow has seen. */
uint32_t pl_model_select(const struct pl_model_set *s, uint32_t req_seen,
			 uint32_t resp_seen);

/* ---- Model-driven attributes (the `attributes` of a model file) ---- */

struct pl_attrs; /* the JSON writer of lib/proto (proto.h) */

/**
 * Whether model has attributes for that direction (cheap: a flag set at
 * load time).
 * @param response  true: the RESPONSE attributes, false: the REQUEST ones
 * @return false also for a NULL set or a model index out of range.
 */
bool pl_model_has_attrs(const struct pl_model_set *s, unsigned model,
			bool response);

/**
 * Evaluate model's attributes of one direction (response: the RESPONSE
 * ones, else REQUEST) on p[0..len) and write each found one as a member of
 * out named by its `name` (a name given twice for one direction: the first
 * found wins, the later ones are skipped). Attributes are evaluated in
 * file order; one that is not found (a seek pattern that does not occur, a
 * byte or range outside the payload, no TLV or regex match, a regex that
 * hits the match limit) is simply not written. BYTES values are lower-case
 * hex strings, STRING values JSON strings (pl_attrs_hex, pl_attrs_str); a
 * TLV attribute with find-all is an array of every value found. Semantics
 * in docs/models.md, "Attributes". Allocates nothing; reads nothing outside
 * p[0..len).
 * @param sc   a scratch of this set (pl_model_scratch_alloc(s)), used by
 *             regex attributes; may be NULL if the direction has none
 * @param out  an initialised writer (pl_attrs_init); members are added at
 *             its current level; if it fills up it is marked truncated
 * @return number of members written (0: none found, or none defined);
 *   -EINVAL on bad arguments: s or out NULL, model out of range, p NULL
 *   with len > 0, len above UINT32_MAX, or sc NULL or of another set while
 *   the direction has regex attributes.
 */
int pl_model_attrs(const struct pl_model_set *s, struct pl_model_scratch *sc,
		   unsigned model, bool response, const uint8_t *p, size_t len,
		   struct pl_attrs *out);

#endif /* PL_MODEL_H */
