/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_MODEL_INTERNAL_H
#define PL_MODEL_INTERNAL_H

/* The compiled form of a model set, shared by the loader and detection. */

#include <hs.h>

#include "model.h"

#define PL_MODEL_NAME_MAX 32
#define PL_MODEL_MAX_PORTS 16

enum { DIR_REQUEST = 0, DIR_RESPONSE = 1 };

struct pl_model {
	char name[PL_MODEL_NAME_MAX];
	char file[256];
	uint16_t ports[PL_MODEL_MAX_PORTS];
	unsigned nb_ports;
	bool has_dir[2];          /**< direction present in contents */
	struct pl_expr eval[2];   /**< request, response */
	uint8_t select;           /**< truth table: bit (req | resp << 1) */
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
	hs_database_t *db;
	double compile_ms;
};

struct pl_model_scratch {
	hs_scratch_t *hs;
};

#endif /* PL_MODEL_INTERNAL_H */
