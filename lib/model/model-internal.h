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
	char name[PL_MODEL_NAME_MAX];
	char file[256];
	uint16_t ports[PL_MODEL_MAX_PORTS];
	unsigned nb_ports;
	bool has_dir[2];          /**< direction present in contents */
	struct pl_expr eval[2];   /**< request, response */
	uint8_t select;           /**< truth table: bit (req | resp << 1) */
	struct pl_attr *attrs;    /**< in file order */
	unsigned nb_attrs;
	bool has_attrs[2];        /**< per direction */
	bool regex_attrs[2];      /**< a regex attribute in that direction */
	json_t *rules;            /**< its best-practices array, or NULL */
};

enum matcher_kind { MATCHER_BYTES, MATCHER_REGEX };

struct pl_matcher {
	uint8_t model;
	uint8_t dir;
	uint8_t kind;
	struct pl_bytes_pattern bytes;
};

struct pl_model_set {
	struct pl_model models[PL_MODEL_MAX];
	unsigned nb_models;
	struct pl_matcher matchers[PL_MODEL_MAX_MATCHERS];
	unsigned nb_matchers;
	/* Pre-filters: models allowed per IP protocol, family, mode. */
	uint32_t by_proto[256];
	uint32_t by_ether[2]; /* [0] IPv4, [1] IPv6 */
	uint32_t by_mode[3];
	uint32_t bytes_models; /* models with byte matchers */
	uint32_t regex_models; /* models with regex matchers */
	/* The byte matchers of model m: byte_matcher[byte_start[m] ..
	 * byte_start[m + 1]). */
	uint16_t byte_matcher[PL_MODEL_MAX_MATCHERS];
	uint16_t byte_start[PL_MODEL_MAX + 1];
	/* Bytes the anchored regexes of model m can start with; models with a
	 * regex that may start anywhere or with anything are in regex_any. */
	struct pl_byteset regex_first[PL_MODEL_MAX];
	uint32_t regex_any;
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
/* regex_first.c */
/**
 * The bytes a java.util.regex pattern anchored with `^` can start with.
 * @return true with out set, or false when the pattern is not anchored or
 *   its start is not understood (any byte may start a match).
 */
bool pl_regex_first_bytes(const char *pattern, struct pl_byteset *out);

/** Free what a model's attributes hold. */
void pl_model_attrs_free(struct pl_model *m);


#endif /* PL_MODEL_INTERNAL_H */
