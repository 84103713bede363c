/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_MODEL_INTERNAL_H
#define PL_MODEL_INTERNAL_H

/* The compiled form of a model set, shared by the loader and detection. */

#include <hs.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "model.h"

#define PL_MODEL_NAME_MAX 32
#define PL_MODEL_MAX_PORTS 16

enum { DIR_REQUEST = 0, DIR_RESPONSE = 1 };

/* Attributes (attrs.c). */
#define PL_MODEL_MAX_ATTRS 128 /* per model */
#define PL_REXPR_MAX 64        /* operations of a range expression */
#define PL_REXPR_STACK 16      /* its evaluation stack */
#define PL_REXPR_LIMIT 4294967296LL /* |value| above: attribute absent */
/* PCRE2 limits: a pathological payload gives up instead of taking long. */
#define PL_REGEX_MATCH_LIMIT 100000
#define PL_REGEX_DEPTH_LIMIT 2000
#define PL_REGEX_HEAP_LIMIT_KIB 1024

/* A range expression (from, to) compiled to postfix operations. */
enum rexpr_op { RX_NUM, RX_FROM, RX_BYTE, RX_ADD, RX_SUB, RX_SHL, RX_OR };

struct pl_rexpr {
	uint8_t n;
	uint8_t op[PL_REXPR_MAX];
	uint32_t num[PL_REXPR_MAX]; /* the literal of RX_NUM */
};

enum attr_kind { ATTR_RANGE, ATTR_TLV, ATTR_REGEX };

struct pl_attr {
	char *name;
	uint8_t kind;
	uint8_t dir;
	bool string;     /* data-type STRING, else BYTES (hex) */
	bool secret;     /* a credential by its name: only hashed */
	bool uri;        /* a URI or URL by its name: secrets redacted */
	uint8_t name_id; /* first attribute of this direction with this name */
	/* range: seek-pattern-from; tlv: seek-pattern (both optional) */
	bool has_seek;
	struct pl_bytes_pattern seek;
	struct pl_rexpr from, to; /* range */
	struct pl_bytes_pattern tag; /* tlv: tag-pattern, at the TLV start */
	uint8_t tag_bytes, len_bytes;
	bool find_all;
	pcre2_code *re;  /* regex */
	uint32_t group;
};

struct pl_model {
	/* What detection reads, first. */
	struct pl_expr eval[2];   /**< request, response */
	bool has_dir[2];          /**< direction present in contents */
	uint8_t select;           /**< truth table: bit (req | resp << 1) */
	char name[PL_MODEL_NAME_MAX];
	char file[256];
	uint16_t ports[PL_MODEL_MAX_PORTS];
	unsigned nb_ports;
	struct pl_attr *attrs;    /**< in file order */
	unsigned nb_attrs;
	bool has_attrs[2];        /**< per direction */
	bool regex_attrs[2];      /**< a regex attribute in that direction */
	json_t *rules;            /**< its best-practices array, or NULL */
};

enum matcher_kind { MATCHER_BYTES, MATCHER_REGEX };

/* Whether every byte value belongs. */
static inline bool
pl_byteset_full(const struct pl_byteset *b)
{
	return (b->w[0] & b->w[1] & b->w[2] & b->w[3]) == UINT64_MAX;
}

#define PL_ANCH_SLOTS 32      /* bits of a slot mask */
#define PL_MODEL_MAX_BRANCHES 64 /* exact regex branches, in all */
#define PL_ANCH_MAX_STEPS 256 /* offsets constrained, in all */
#define PL_ANCH_MAX_END 256   /* a pattern ending later is matched alone */
#define PL_ANCH_GROUP 4       /* steps tested between two exit tests */

/* Payload lengths: bit l, l bytes; bit PL_ANCH_MAX_END: that or more. */
struct pl_len_set {
	uint64_t w[PL_ANCH_MAX_END / 64 + 1];
};

struct pl_matcher {
	uint8_t model;
	uint8_t dir;
	uint8_t kind;
	/* A regex that ends with \z matches payloads of these lengths only;
	 * an exact one (pl_regex_prefix) those and no others. */
	bool end_anchored;
	bool exact;
	struct pl_len_set lengths;
	/* A Byteseek pattern; for a regex, the prefix every match starts
	 * with (len 0: none known). */
	struct pl_bytes_pattern bytes;
};

/* An anchored automaton (anchored.c): every anchored Byteseek pattern of
 * a class's models, and the prefixes of anchored regexes, tested at once. Identical
 * patterns share a slot; per payload offset that a slot constrains, a
 * table gives for each byte value the slots that accept it there. */

struct pl_anch_step {
	uint32_t pending; /* slots constraining this step or a later one */
	uint16_t off;
	uint16_t table;
};

struct pl_anchored {
	unsigned nb_steps; /* a multiple of PL_ANCH_GROUP */
	uint32_t all;      /* every slot */
	uint32_t fits_long; /* slots a payload of PL_ANCH_MAX_END or more fits */
	uint32_t regex;    /* slots that are regex prefixes */
	uint32_t model_slots[PL_MODEL_MAX];
	uint32_t slot_hits[PL_ANCH_SLOTS]; /* models of its Byteseek matchers */
	/* Most selective first, then a group with no pending slot. */
	struct pl_anch_step steps[PL_ANCH_MAX_STEPS + 2 * PL_ANCH_GROUP];
	uint32_t fits[PL_ANCH_MAX_END]; /* [len]: slots a payload of len fits */
	struct pl_model_bits slot_bits[PL_ANCH_SLOTS]; /* their bits */
	/* The regex matchers whose prefix the slot is: a scan for them may
	 * stop once they have all matched. */
	struct pl_model_bits slot_regex[PL_ANCH_SLOTS];
	uint32_t (*table)[256]; /* distinct tables: [table][byte] */
};

/**
 * The slots among `slots` whose pattern matches p[0..len): a table load
 * per step, PL_ANCH_GROUP steps at a time (their loads are independent),
 * until no live slot constrains a later step; about 2 cycles per step,
 * warm. Reads nothing outside p[0..len).
 */
static inline uint32_t
pl_anchored_match(const struct pl_anchored *a, uint32_t slots,
		  const uint8_t *p, uint32_t len)
{
	uint32_t alive = slots & (len < PL_ANCH_MAX_END ? a->fits[len]
						       : a->fits_long);
	for (const struct pl_anch_step *st = a->steps; alive & st->pending;
	     st += PL_ANCH_GROUP) {
		uint32_t m = UINT32_MAX;
		for (unsigned g = 0; g < PL_ANCH_GROUP; g++) {
			/* Past the payload, no live slot is constrained (they
			 * all fit): any byte will do, and p[0] is one. A mask,
			 * not a branch: short payloads would mispredict it. */
			uint32_t off = st[g].off & -(uint32_t)(st[g].off < len);
			m &= a->table[st[g].table][p[off]];
		}
		alive &= m;
	}
	return alive;
}

#define PL_MODEL_CLASSES 4 /* automata: one per set of models an IP protocol allows */

/* Detection for the payloads of one class of IP protocols (those whose
 * pre-filter allows the same models): its automaton's 32 slots are for
 * these models only, so TCP's HTTP branches do not compete with UDP's DNS,
 * NTP and DHCP for them, and a payload walks its class's offsets only. */
struct pl_model_class {
	uint32_t models; /* models the class holds */
	struct pl_anchored anch;
	/* Byteseek matchers left out of anch (unanchored, too long, or past
	 * its capacity), of model m: byte_matcher[byte_start[m] ..
	 * byte_start[m + 1]); models that have some are in bytes_models. */
	uint16_t byte_matcher[PL_MODEL_MAX_MATCHERS];
	uint16_t byte_start[PL_MODEL_MAX + 1];
	uint32_t bytes_models;
	/* Models with a regex matcher that anch cannot rule out: a payload
	 * of one of them is always scanned, for regex_rest[m]. */
	uint32_t regex_any;
	struct pl_model_bits regex_rest[PL_MODEL_MAX];
};

struct pl_model_set {
	struct pl_model models[PL_MODEL_MAX];
	unsigned nb_models;
	struct pl_matcher matchers[PL_MODEL_MAX_MATCHERS];
	unsigned nb_matchers;
	/* Exact branches of regex matchers that are not exact themselves
	 * (pl_regex_branches), of matcher branch_of[k]: a slot of one
	 * decides its matcher without a scan. */
	struct pl_matcher branches[PL_MODEL_MAX_BRANCHES];
	uint16_t branch_of[PL_MODEL_MAX_BRANCHES];
	unsigned nb_branches;
	/* Pre-filters: models allowed per IP protocol, family, mode. */
	uint32_t by_proto[256];
	uint32_t by_ether[2]; /* [0] IPv4, [1] IPv6 */
	uint32_t by_mode[3];
	/* The class of each IP protocol (meaningless where by_proto is 0).
	 * Protocols past PL_MODEL_CLASSES distinct sets share the last
	 * class, which then holds the union of their models. */
	uint8_t class_of[256];
	struct pl_model_class cls[PL_MODEL_CLASSES];
	unsigned nb_classes;
	/* Models whose request [0] or response [1] eval holds when none of
	 * its matchers does. */
	uint32_t when_none[2];
	hs_database_t *db;
	double compile_ms;
	uint32_t regex_pairs; /* ovector pairs for the largest capture count */
};

struct pl_model_scratch {
	hs_scratch_t *hs;
	const struct pl_model_set *set;
	pcre2_match_data *md;     /* NULL if the set has no regex attribute */
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
};

/* attrs.c */
/**
 * Compile a range expression; `from` is accepted only if allow_from.
 * @return 0, or -EINVAL with why set (the reason only, e.g. "unbalanced
 *   parenthesis", "no operand at offset 4").
 */
int pl_rexpr_compile(const char *src, bool allow_from, struct pl_rexpr *out,
		     char *why, size_t whylen);
/**
 * Evaluate e with the base at p + base (offsets of $() are relative to
 * it) and `from` = from_val.
 * @return false if a byte read is outside p[0..len) or a value leaves the
 *   allowed range (the attribute is absent).
 */
bool pl_rexpr_eval(const struct pl_rexpr *e, const uint8_t *p, size_t len,
		   int64_t base, int64_t from_val, int64_t *out);
/**
 * Translate a java.util.regex pattern for PCRE2 (docs/models.md).
 * @param map  out: map[i] = offset in src of the translated pattern's
 *             byte i (for PCRE2's error offsets); freed by the caller
 * @return the translated pattern (malloc), or NULL with why set (why empty:
 *   no memory).
 */
char *pl_java_to_pcre2(const char *src, size_t **map, char *why,
		       size_t whylen);
/* regex_prefix.c */
#define PL_REGEX_PREFIX_MAX 16 /* leading offsets whose bytes are analysed */
#define PL_REGEX_LEN_MAX PL_ANCH_MAX_END /* match lengths told apart */

/** What every match of an anchored regex looks like, as far as known. */
struct pl_regex_prefix {
	unsigned n; /**< leading offsets known: every match is that long */
	struct pl_byteset sets[PL_REGEX_PREFIX_MAX]; /**< bytes at each */
	bool end_anchored; /**< every match ends at the payload's end (\z) */
	struct pl_len_set lengths; /**< if so, the lengths it can have */
	/** A payload matches if and only if its bytes are in sets and its
	 * length in lengths: no scan needed. */
	bool exact;
};

/**
 * Analyse a java.util.regex pattern anchored with `^` (each top-level
 * alternative).
 * @return out->n; 0 when the pattern is not anchored or its structure is
 *   not understood (any payload may match).
 */
unsigned pl_regex_prefix(const char *pattern, struct pl_regex_prefix *out);

/**
 * Exact branches of an anchored regex (each exact, as pl_regex_prefix
 * says): its top-level alternatives, and in each, every alternative group
 * outside repetitions replaced by each of its alternatives (as far as 16
 * groups deep and 1024 patterns); those that differ at one offset are
 * merged. Every payload a branch matches, the regex matches; a payload
 * none matches may still match the regex. Not for patterns with
 * back-references.
 * @return the branches written to out, at most max (0: none).
 */
unsigned pl_regex_branches(const char *pattern, struct pl_regex_prefix *out,
			   unsigned max);

/* anchored.c */
/**
 * Group the IP protocols into classes (s->class_of) and build each class's
 * automaton from its models' matchers, and the lists of those left out
 * (byte_matcher, regex_any); when_none from the evals.
 * @return 0, or -ENOMEM.
 */
int pl_anchored_build(struct pl_model_set *s);

/** Free what a model's attributes hold. */
void pl_model_attrs_free(struct pl_model *m);


#endif /* PL_MODEL_INTERNAL_H */
