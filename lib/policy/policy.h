/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_POLICY_H
#define PL_POLICY_H

/**
 * @file
 * Policy: best-practice checks of a device's protocols, and the cipher-suite
 * registry they rate TLS cipher suites with. Plain C, no DPDK: everything
 * here runs on the control lcore or at start-up.
 */

/* Cipher suites */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Levels of a cipher suite, as value and name. The ciphersuite.info ratings
 * come last, worst first, so that ratings compare with < and >.
 */
#define PL_CIPHER_LEVELS(X)                                                  \
	X(UNKNOWN, "unknown")		/* not in the registry */            \
	X(GREASE, "grease")		/* RFC 8701 value, never a finding */ \
	X(UNRATED, "unrated")		/* registered, no level in the snapshot */ \
	X(INSECURE, "insecure")                                              \
	X(WEAK, "weak")                                                      \
	X(SECURE, "secure")                                                  \
	X(RECOMMENDED, "recommended")

#define PL_CIPHER_LEVEL_ENUM_(id, name) PL_CIPHER_##id,
/** Level of a cipher suite; PL_CIPHER_UNKNOWN is 0. */
enum pl_cipher_level {
	PL_CIPHER_LEVELS(PL_CIPHER_LEVEL_ENUM_)
	PL_CIPHER_LEVEL_COUNT
};
#undef PL_CIPHER_LEVEL_ENUM_

/** Cipher-suite codes, names and levels of one snapshot (opaque). */
struct pl_cipher_registry;

/**
 * Whether a code is one of the 16 GREASE values of RFC 8701 (0x0A0A,
 * 0x1A1A, ... 0xFAFA), which clients offer to keep servers tolerant of
 * unknown suites: they are not suites and must not be rated.
 */
static inline bool
pl_cipher_is_grease(uint16_t code)
{
	return (code >> 8) == (code & 0xff) && (code & 0x0f) == 0x0a;
}

/**
 * Whether a level is one the best-practice rules flag: insecure or weak.
 * GREASE, unrated and unknown suites are never flagged.
 */
static inline bool
pl_cipher_level_is_weak(enum pl_cipher_level level)
{
	return level == PL_CIPHER_INSECURE || level == PL_CIPHER_WEAK;
}

/**
 * Load the registry from a CSV file (config/ciphersuites.csv, written by
 * tools/build-ciphersuites; docs/policy.md gives the format) with the levels
 * of one snapshot. Every row is checked, whichever snapshot is chosen.
 *
 * @param path      the CSV file
 * @param snapshot  the level column to use, "2026", "2021" or "2023" in the
 *                  shipped file (column level_<snapshot>); NULL for the
 *                  file's first level column, current advice
 * @param err       receives a one-line message on failure, "path:line: what
 *                  was expected, what was found" (no line number when the
 *                  file cannot be read); may be NULL
 * @param errlen    size of err
 * @return the registry, or NULL with errno set: an errno of fopen or read
 *         (e.g. ENOENT) if the file cannot be read; EINVAL if the header is
 *         not code,name,level_<snapshot>... or has no column for the
 *         snapshot, or a row has the wrong number of fields, a code that is
 *         not 0xHHHH, a GREASE value, a code already seen, a name that is not
 *         letters, digits and '_', or a level that is not insecure, weak,
 *         secure, recommended or unrated; ENOMEM.
 */
struct pl_cipher_registry *
pl_cipher_registry_load(const char *path, const char *snapshot, char *err,
			size_t errlen);

/** Free a registry; NULL is allowed. */
void pl_cipher_registry_free(struct pl_cipher_registry *reg);

/**
 * The snapshot the registry's levels come from, e.g. "2026" (its column
 * name without "level_"), to say so beside findings. Never fails.
 */
const char *pl_cipher_registry_snapshot(const struct pl_cipher_registry *reg);

/**
 * Level of a cipher suite in the registry's snapshot: one table read.
 * @return PL_CIPHER_GREASE for GREASE values, PL_CIPHER_UNKNOWN for codes not
 *         in the file, else the file's level. Never fails.
 */
enum pl_cipher_level pl_cipher_level(const struct pl_cipher_registry *reg,
				     uint16_t code);

/**
 * IANA name of a cipher suite, e.g. "TLS_AES_128_GCM_SHA256".
 * @return the name, valid until the registry is freed, or NULL for codes not
 *         in the file (GREASE values included).
 */
const char *pl_cipher_name(const struct pl_cipher_registry *reg,
			   uint16_t code);

/**
 * Name of a level, as in the CSV file and the output ("weak", "grease", ...).
 * @return the name, or "invalid" for a value outside the enum.
 */
const char *pl_cipher_level_name(enum pl_cipher_level level);

/**
 * Level of a name given by pl_cipher_level_name (case-sensitive).
 * @param level  receives the level; unchanged on failure
 * @return 0, or -EINVAL if name is NULL or not a level name.
 */
int pl_cipher_level_from_name(const char *name, enum pl_cipher_level *level);

/* end cipher suites */

/* Best-practice rules */

#include <jansson.h>

#include "model.h"

/** A rule as declared (strings owned by the models or the policy). */
struct pl_rule_info {
	const char *id;        /**< unique over all models */
	const char *model;     /**< the model it belongs to: "tls", ... */
	const char *kind;      /**< "best-practice" or "privacy" */
	const char *severity;  /**< info, low, medium, high, critical */
	const char *reference; /**< RFC or guideline */
	const char *text;      /**< what breaking it means */
};

struct pl_policy;

/**
 * Compile the `best-practices` sections of every model (docs/models.md,
 * "Best practices").
 * @param ciphers  the registry cipher-level conditions rate suites with;
 *                 may be NULL when no rule has one
 * @param err      receives "file: best-practices[i].member: what was
 *                 expected, what was found" for the first bad rule
 * @return the policy (possibly with no rule), or NULL with err set: a rule
 *         that is not an object, lacks id, attribute, condition, severity,
 *         reference or text, has an unknown member, an id used twice, an
 *         unknown operator, select, direction, kind, severity, show or
 *         context attribute, an operand of the wrong type, a path of more
 *         than 4 names, more than 4 when clauses; or out of memory.
 */
struct pl_policy *pl_policy_create(const struct pl_model_set *models,
				   const struct pl_cipher_registry *ciphers,
				   char *err, size_t errlen);

/** Free a policy; NULL is a no-op. */
void pl_policy_free(struct pl_policy *p);

/** Rules in the policy (0 for NULL). */
unsigned pl_policy_rule_count(const struct pl_policy *p);

/** Rule number `rule`, or NULL when out of range. */
const struct pl_rule_info *pl_policy_rule(const struct pl_policy *p,
					  unsigned rule);

/** Whether model number `model` has rules (a flow of a model without
 * any need not be checked). */
bool pl_policy_model_has_rules(const struct pl_policy *p, unsigned model);

/** One dissected message of a flow, with what the rules may ask of its
 * packet (@ttl, @peer, @destination). */
struct pl_policy_msg {
	const json_t *attrs; /**< the dissector's object */
	bool from_orig;      /**< sent by the flow's originator */
	bool peer_remote;    /**< the other side's address is routable */
	uint8_t dst_cast;    /**< 0 unicast, 1 broadcast, 2 multicast */
	uint8_t ttl;         /**< IP TTL or hop limit */
};

/** A broken rule in a flow. */
struct pl_finding {
	unsigned rule;     /**< index for pl_policy_rule */
	bool from_orig;    /**< the offending message's direction */
	char value[256];   /**< what broke it, as shown (up to 8 values) */
};

/**
 * Check a flow classified as model against that model's rules: each rule
 * is tested on the messages of its direction, in order, and gives at most
 * one finding, from the first message that breaks it.
 * @return findings written to out (at most max); never fails.
 */
unsigned pl_policy_check(const struct pl_policy *p, unsigned model,
			 const struct pl_policy_msg *msgs, unsigned nb_msgs,
			 struct pl_finding *out, unsigned max);

/* end best-practice rules */

#endif /* PL_POLICY_H */
