/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_PROTO_H
#define PL_PROTO_H

/**
 * @file
 * Native dissectors of the six protocols: bounds-checked functions over a
 * byte buffer (one direction's reassembled head, or one datagram) that
 * write the protocol's attributes as JSON members (docs/output.md).
 *
 * No DPDK and no allocation: every dissector writes into a caller-supplied
 * struct pl_attrs. Malformed or truncated input yields what could be read
 * and the `malformed` member; nothing is ever read past the buffer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_ATTRS_MAX_DEPTH 8

/**
 * A bounded JSON writer. Members are written in order; when the buffer is
 * full the output is closed cleanly and `truncated` is set, so the text is
 * always valid JSON once pl_attrs_finish has run.
 */
struct pl_attrs {
	char *buf;
	uint32_t cap;
	uint32_t len;
	uint8_t depth;
	bool truncated;
	bool first[PL_ATTRS_MAX_DEPTH]; /**< no member written yet at depth */
	char close[PL_ATTRS_MAX_DEPTH]; /**< '}' or ']' per open level */
};

/** Start writing members of a top-level object into buf (cap >= 64). */
void pl_attrs_init(struct pl_attrs *a, char *buf, uint32_t cap);

/**
 * Close every open object and array.
 * @return the length of the JSON text in buf (NUL-terminated).
 */
uint32_t pl_attrs_finish(struct pl_attrs *a);

/* Members. key is NULL for array elements. Strings are escaped (control
 * and non-ASCII bytes as \u00XX), so any input bytes give valid JSON. */
void pl_attrs_object(struct pl_attrs *a, const char *key);
void pl_attrs_array(struct pl_attrs *a, const char *key);
void pl_attrs_end(struct pl_attrs *a);
void pl_attrs_str(struct pl_attrs *a, const char *key, const void *s,
		  size_t len);
void pl_attrs_cstr(struct pl_attrs *a, const char *key, const char *s);
void pl_attrs_uint(struct pl_attrs *a, const char *key, uint64_t v);
void pl_attrs_bool(struct pl_attrs *a, const char *key, bool v);
/** Bytes as lower-case hex, e.g. "1301c02b". */
void pl_attrs_hex(struct pl_attrs *a, const char *key, const uint8_t *p,
		  size_t len);

/** Result of a dissector. */
enum pl_dissect_result {
	PL_DISSECT_OK = 0,        /**< the message was whole */
	PL_DISSECT_MALFORMED = 1, /**< `malformed` written: read what could be */
	PL_DISSECT_NOT_MINE = 2,  /**< not this protocol: nothing written */
};

#endif /* PL_PROTO_H */
