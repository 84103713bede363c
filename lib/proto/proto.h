/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_PROTO_H
#define PL_PROTO_H

/**
 * @file
 * Native dissectors of the six protocols, and of ARP: bounds-checked
 * functions over a byte buffer (one direction's reassembled head, or one
 * datagram or ARP packet) that write the protocol's attributes as JSON
 * members (docs/output.md).
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

/* Members. key is NULL for array elements. Strings are written as UTF-8:
 * printable ASCII and well-formed UTF-8 sequences as they are, '"' and
 * backslash escaped with a backslash, and control bytes, DEL and every
 * byte that is not part of a well-formed sequence (stray continuation
 * bytes, overlong forms, surrogates, code points above U+10FFFF, a
 * sequence cut by the end) as \u00XX, so any input bytes give valid
 * JSON. */
void pl_attrs_object(struct pl_attrs *a, const char *key);
void pl_attrs_array(struct pl_attrs *a, const char *key);
void pl_attrs_end(struct pl_attrs *a);
void pl_attrs_str(struct pl_attrs *a, const char *key, const void *s,
		  size_t len);
void pl_attrs_cstr(struct pl_attrs *a, const char *key, const char *s);
void pl_attrs_uint(struct pl_attrs *a, const char *key, uint64_t v);
void pl_attrs_int(struct pl_attrs *a, const char *key, int64_t v);
void pl_attrs_bool(struct pl_attrs *a, const char *key, bool v);
/** A secret (credential, token): {"present":true,"hash":"<8 hex>"}, the
 * hash being the first 32 bits of SHA-256 over the bytes; never the bytes. */
void pl_attrs_secret(struct pl_attrs *a, const char *key, const void *p,
		     size_t len);
/** Bytes as lower-case hex, e.g. "1301c02b". */
void pl_attrs_hex(struct pl_attrs *a, const char *key, const uint8_t *p,
		  size_t len);
/**
 * A string the caller knows needs no escaping (every byte 0x20-0x7e but
 * '"' and backslash: digits, hex, dotted quads, fingerprints). The same
 * text as pl_attrs_str, without the scan; not checked.
 */
void pl_attrs_plain(struct pl_attrs *a, const char *key, const char *s,
		    size_t len);
/*
 * Whole arrays of numbers: the same text as pl_attrs_array, then one
 * pl_attrs_uint per value (pl_attrs_hex of its two big-endian bytes for
 * hex16) and pl_attrs_end, including where a full buffer cuts the list;
 * one capacity check for a list that fits.
 */
void pl_attrs_uint8_list(struct pl_attrs *a, const char *key,
			 const uint8_t *v, size_t n);
void pl_attrs_uint16_list(struct pl_attrs *a, const char *key,
			  const uint16_t *v, size_t n);
void pl_attrs_hex16_list(struct pl_attrs *a, const char *key,
			 const uint16_t *v, size_t n);

/** Result of a dissector. */
enum pl_dissect_result {
	PL_DISSECT_OK = 0,        /**< the message was whole */
	PL_DISSECT_MALFORMED = 1, /**< `malformed` written: read what could be */
	PL_DISSECT_NOT_MINE = 2,  /**< not this protocol: nothing written */
};

/** A dissector: one datagram, or the head of one direction of a stream. */
typedef enum pl_dissect_result (*pl_dissect_fn)(const uint8_t *p, size_t len,
						struct pl_attrs *out);

/** How much of a stream head a dissector needs. */
enum pl_head_state {
	PL_HEAD_NEED_MORE, /**< what the dissector reads is not all there */
	PL_HEAD_COMPLETE,  /**< dissect now: more bytes would change nothing */
	PL_HEAD_NOT_MINE,  /**< not this protocol, whatever follows */
};

/** The native dissector of one protocol model (lib/proto/registry.c). */
struct pl_dissector {
	const char *name;       /**< model name: "tls", "http", ... */
	pl_dissect_fn datagram; /**< one UDP payload; NULL if none */
	pl_dissect_fn stream;   /**< a TCP direction's head; NULL if none */
	/**
	 * For stream: whether the head p[0..len) holds everything stream()
	 * reads (TLS: the records covering the ClientHello or ServerHello,
	 * and, for a server of TLS <= 1.2, through the Certificate message if
	 * it follows; a ServerHello with supported_versions (TLS 1.3) is
	 * complete by itself, what follows is encrypted. HTTP: through the
	 * blank line ending the header block. DNS over TCP: 2-byte length +
	 * message). A head on which the dissector has nothing more to read
	 * (a record that is not a handshake one, a start line that is already
	 * wrong) is complete too. NOT_MINE exactly when stream() says
	 * PL_DISSECT_NOT_MINE on the same bytes. NULL if stream is NULL.
	 * Cheap: no full parse, nothing written. A head that never completes
	 * (longer than the caller can buffer) is the caller's to dissect as
	 * it is.
	 */
	enum pl_head_state (*head_state)(const uint8_t *p, size_t len);
	/**
	 * For a stream that carries one message after another (an HTTP
	 * connection kept alive): the length of the whole first message of
	 * p[0..len), once head_state says it is complete, so that the next
	 * message can be dissected after it. 0 when its end is not known
	 * from its head (a chunked or connection-delimited body) or not
	 * there yet: the stream is then done. NULL: one message per stream.
	 */
	size_t (*message_len)(const uint8_t *p, size_t len);
};

/** The dissector for a model name, or NULL (no native dissector). */
const struct pl_dissector *pl_dissector_find(const char *name);

/* DNS */
/**
 * One DNS or mDNS message (a UDP datagram): header, questions, and the
 * records of all three sections (docs/attrs/dns.md).
 */
enum pl_dissect_result pl_dns_dissect(const uint8_t *p, size_t len,
				      struct pl_attrs *out);
/** DNS over TCP: the head of a stream, starting with the 2-byte length
 * (RFC 1035 4.2.2); the first message is dissected. */
enum pl_dissect_result pl_dns_dissect_tcp(const uint8_t *p, size_t len,
					  struct pl_attrs *out);
/* end DNS */

/* HTTP */
/** The head of one direction of an HTTP/1.x stream: request or response
 * line and header block (docs/attrs/http.md). Credentials are never
 * written, only whether one is present and a short hash. */
enum pl_dissect_result pl_http_dissect(const uint8_t *p, size_t len,
				       struct pl_attrs *out);
/** The length of the first HTTP message of p: its header block and the
 * Content-Length bytes of its body, when all there; 0 when chunked, with
 * no length and a body that the connection's end delimits (a response), or
 * not all there. */
size_t pl_http_message_len(const uint8_t *p, size_t len);
/**
 * A URI with its secrets replaced as pl_http_dissect writes it (userinfo,
 * /api/<key>/ path segments, secret-looking query values become
 * <redacted:HASH>), for other writers of URIs (the models' attributes).
 * @return the length written to out (at most cap: a longer result is cut),
 *         or 0 when the URI holds no secret (out untouched).
 */
size_t pl_http_redact_uri(const uint8_t *p, size_t len, char *out, size_t cap);
/* end HTTP */

/* NTP */
/** One NTP datagram (RFC 5905; control mode 6 and private mode 7 headers
 * too) (docs/attrs/ntp.md). */
enum pl_dissect_result pl_ntp_dissect(const uint8_t *p, size_t len,
				      struct pl_attrs *out);
/* end NTP */

/* DHCP */
/** One DHCP (or BOOTP) datagram (RFC 2131/2132) (docs/attrs/dhcp.md). */
enum pl_dissect_result pl_dhcp_dissect(const uint8_t *p, size_t len,
				       struct pl_attrs *out);
/* end DHCP */

/* SSDP */
/** One SSDP datagram (UPnP Device Architecture 2.0, HTTPU/HTTPMU):
 * start line and discovery headers (docs/attrs/ssdp.md). */
enum pl_dissect_result pl_ssdp_dissect(const uint8_t *p, size_t len,
				       struct pl_attrs *out);
/* end SSDP */

/* ARP */
/**
 * One ARP packet (RFC 826; RARP, InARP and the other operations of the same
 * format): an L2 payload of ether-type 0x0806 from its first byte. Ethernet
 * and IEEE 802 hardware addresses of 6 bytes are written as MACs, IPv4
 * protocol addresses as dotted quads, any others as hex
 * (docs/attrs/arp.md). Bytes after the target's protocol address (the
 * frame's padding) are not read.
 * @return PL_DISSECT_MALFORMED (with `"malformed":true`) when the packet
 *   ends before the addresses its header announces; else PL_DISSECT_OK.
 *   Never PL_DISSECT_NOT_MINE: the ether-type says what it is.
 */
enum pl_dissect_result pl_arp_dissect(const uint8_t *p, size_t len,
				      struct pl_attrs *out);
/* end ARP */

/* TLS */

/**
 * TLS (lib/proto/tls.c, attributes in docs/attrs/tls.md): the first
 * ClientHello or ServerHello of one direction's reassembled head (several
 * records; a handshake message may span records), with JA3/JA4/JA3S, and
 * the leaf of the first Certificate message (TLS 1.2 and below).
 * @return PL_DISSECT_NOT_MINE unless p starts like a TLS record (content
 *   type 20-24, version 0x0300-0x0304); PL_DISSECT_MALFORMED (with
 *   `"malformed":true`) if the hello or the leaf certificate is cut or
 *   inconsistent, or the record layer is; else PL_DISSECT_OK.
 */
enum pl_dissect_result pl_tls_dissect(const uint8_t *p, size_t len,
				      struct pl_attrs *out);

/* end TLS */

#endif /* PL_PROTO_H */
