/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded JSON writer for dissector attributes (see proto.h). Space for the
 * closing brackets is reserved as levels open, so a full buffer never
 * leaves invalid JSON behind.
 *
 * Written for speed (every dissected direction goes through here): the
 * capacity is checked once per member, per run of bytes, or per list of
 * numbers (pl_attrs_*_list), runs of string bytes that need no escaping are
 * copied in bulk (pl_attrs_plain skips the scan for text known to be
 * plain), numbers and hex come from lookup tables, and nothing calls
 * snprintf. Measured with callgrind on lab.pcap's TLS 1.3 ClientHello
 * (frame 80, dissect_tls): the writer's share of pl_tls_dissect went from
 * about 48,000 to 10,800 instructions, then to about 3,800 with the
 * whole-list writers.
 */
#include <string.h>

#include "proto-internal.h"

/* "00" "01" ... "99": two decimal digits at a time (also the dissectors'
 * pl_put_dec16). */
const char pl_dec2[201] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/* "00" "01" ... "ff": a byte as two lower-case hex digits (also the
 * dissectors' pl_put_hex). */
#define HX16(c)                                                          \
	c "0" c "1" c "2" c "3" c "4" c "5" c "6" c "7" c "8" c "9" c "a" \
	c "b" c "c" c "d" c "e" c "f"
const char pl_hex2[513] =
	HX16("0") HX16("1") HX16("2") HX16("3") HX16("4") HX16("5")
	HX16("6") HX16("7") HX16("8") HX16("9") HX16("a") HX16("b")
	HX16("c") HX16("d") HX16("e") HX16("f");

/*
 * String bytes: 1 = copied as it is (printable ASCII but '"' and '\'),
 * 2 = the lead byte of a possible UTF-8 sequence (checked, then copied or
 * escaped), 0 = escaped ('"', '\', control bytes and DEL, and bytes that
 * cannot start a well-formed sequence: continuation bytes, C0, C1, F5-FF).
 */
static const uint8_t byte_class[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	/* 0x60 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	/* 0x80 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0xa0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0xb0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0xc0 */ 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	/* 0xd0 */ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	/* 0xe0 */ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	/* 0xf0 */ 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) whose lead byte
 * (class 2) is s[0], or 0 if it is not one (Unicode 15, table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF, not cut).
 */
static inline size_t
utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	if (c < 0xe0)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	uint8_t lo = 0x80, hi = 0xbf;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (n < 2 || s[1] < lo || s[1] > hi)
		return 0;
	if (c < 0xf0)
		return n >= 3 && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	return n >= 4 && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4
									 : 0;
}

void
pl_attrs_init(struct pl_attrs *a, char *buf, uint32_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
	a->buf[a->len++] = '{';
	a->first[0] = true;
	a->close[0] = '}';
	a->buf[a->len] = '\0';
}

/* Bytes left for content: the open levels' closers and the NUL are kept. */
static inline uint32_t
room(const struct pl_attrs *a)
{
	uint32_t reserve = (uint32_t)a->depth + 2;
	return a->cap > a->len + reserve ? a->cap - a->len - reserve : 0;
}

/*
 * Separator and key of a new member, with room for extra more bytes
 * checked; false (and truncated) if they do not fit. On success the caller
 * writes its value at buf + len (it fits) and ends with done().
 */
static inline bool
member(struct pl_attrs *a, const char *key, size_t extra)
{
	if (a->truncated)
		return false;
	bool first = a->first[a->depth];
	size_t klen = key ? strlen(key) : 0;
	size_t need = (first ? 0 : 1) + (key ? klen + 3 : 0) + extra;
	if (need > room(a)) {
		a->truncated = true;
		return false;
	}
	char *o = a->buf + a->len;
	if (!first)
		*o++ = ',';
	a->first[a->depth] = false;
	if (key) {
		*o++ = '"';
		memcpy(o, key, klen);
		o += klen;
		*o++ = '"';
		*o++ = ':';
	}
	a->len = (uint32_t)(o - a->buf);
	return true;
}

/* End a member whose value ends at o. */
static inline void
done(struct pl_attrs *a, char *o)
{
	*o = '\0';
	a->len = (uint32_t)(o - a->buf);
}

static void
open_level(struct pl_attrs *a, const char *key, char open, char close)
{
	if (a->depth + 1 >= PL_ATTRS_MAX_DEPTH || !member(a, key, 2)) {
		a->truncated = true;
		return;
	}
	/* The 2 bytes checked: the opener, and the closer now reserved. */
	char *o = a->buf + a->len;
	*o++ = open;
	done(a, o);
	a->depth++;
	a->first[a->depth] = true;
	a->close[a->depth] = close;
}

void
pl_attrs_object(struct pl_attrs *a, const char *key)
{
	open_level(a, key, '{', '}');
}

void
pl_attrs_array(struct pl_attrs *a, const char *key)
{
	open_level(a, key, '[', ']');
}

void
pl_attrs_end(struct pl_attrs *a)
{
	if (a->depth == 0)
		return;
	/* The closer's byte was reserved: it always fits. */
	a->buf[a->len++] = a->close[a->depth--];
	a->buf[a->len] = '\0';
}

uint32_t
pl_attrs_finish(struct pl_attrs *a)
{
	while (a->depth > 0)
		pl_attrs_end(a);
	if (a->close[0]) {
		a->buf[a->len++] = '}';
		a->buf[a->len] = '\0';
		a->close[0] = 0;
	}
	return a->len;
}

/*
 * Are the 8 bytes of x all class 1 (0x20-0x7e but quote and backslash)? Exact
 * "some byte is" tests from Sean Anderson's Bit Twiddling Hacks: hasless
 * (a byte < 0x20), hasmore (> 0x7e), haszero of x xor the quote and the
 * backslash.
 */
static inline bool
plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t bad = ((x - ones * 0x20) & ~x) | ((x + ones) | x) |
		       ((q - ones) & ~q) | ((b - ones) & ~b);
	return (bad & high) == 0;
}

/*
 * The escaped body of a string from o on, not past lim; the end of what
 * was written, or NULL if it does not fit. Runs of bytes copied as they
 * are (ASCII and well-formed UTF-8) go in one memcpy, checked once; ASCII
 * is scanned 8 bytes at a time.
 */
static char *
put_escaped(char *o, const char *lim, const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		for (;;) {
			uint64_t x;
			while (n - j >= 8 && (memcpy(&x, s + j, 8), plain8(x)))
				j += 8;
			while (j < n && byte_class[s[j]] == 1)
				j++;
			size_t k;
			if (j < n && byte_class[s[j]] == 2 &&
			    (k = utf8_len(s + j, n - j)) != 0)
				j += k;
			else
				break;
		}
		size_t run = j - i;
		if (run > (size_t)(lim - o))
			return NULL;
		memcpy(o, s + i, run);
		o += run;
		if (j == n)
			break;
		uint8_t c = s[j];
		if (c == '"' || c == '\\') {
			if (lim - o < 2)
				return NULL;
			o[0] = '\\';
			o[1] = (char)c;
			o += 2;
		} else {
			/* a control byte, DEL, or a byte of no well-formed
			 * UTF-8 sequence: U+0000-U+00FF by its value */
			if (lim - o < 6)
				return NULL;
			memcpy(o, "\\u00", 4);
			memcpy(o + 4, pl_hex2 + 2 * c, 2);
			o += 6;
		}
		i = j + 1;
	}
	return o;
}

void
pl_attrs_str(struct pl_attrs *a, const char *key, const void *s, size_t len)
{
	uint32_t save = a->len;
	bool first = a->first[a->depth];
	if (!member(a, key, 2))
		return;
	/* The 2 quotes were checked; the body may take the rest. */
	char *o = a->buf + a->len;
	char *lim = o + room(a);
	*o++ = '"';
	o = put_escaped(o, lim - 1, s, len);
	if (!o) {
		a->len = save; /* drop the partial member */
		a->buf[a->len] = '\0';
		a->first[a->depth] = first;
		a->truncated = true;
		return;
	}
	*o++ = '"';
	done(a, o);
}

void
pl_attrs_cstr(struct pl_attrs *a, const char *key, const char *s)
{
	pl_attrs_str(a, key, s, strlen(s));
}

/* Decimal digits of v, ending at end; returns where they start. */
static inline char *
fmt_u64(char *end, uint64_t v)
{
	char *p = end;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, pl_dec2 + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, pl_dec2 + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

/* How many decimal digits v has. */
static inline size_t
dec_digits(uint64_t v)
{
	size_t n = 1;
	for (uint64_t p = 10; n < 20 && v >= p; p *= 10)
		n++;
	return n;
}

/* The digits go straight into the buffer once they are known to fit (no
 * copy from a scratch buffer: a memcpy call per number). */
static void
put_number(struct pl_attrs *a, const char *key, uint64_t mag, bool neg)
{
	size_t n = dec_digits(mag) + neg;
	if (!member(a, key, n))
		return;
	char *o = a->buf + a->len;
	if (neg)
		*o = '-';
	fmt_u64(o + n, mag);
	done(a, o + n);
}

void
pl_attrs_uint(struct pl_attrs *a, const char *key, uint64_t v)
{
	put_number(a, key, v, false);
}

void
pl_attrs_int(struct pl_attrs *a, const char *key, int64_t v)
{
	/* The magnitude in unsigned arithmetic: INT64_MIN has no positive
	 * int64_t. */
	put_number(a, key, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void
pl_attrs_bool(struct pl_attrs *a, const char *key, bool v)
{
	if (!member(a, key, v ? 4 : 5))
		return;
	char *o = a->buf + a->len;
	/* constant sizes: copies the compiler inlines */
	if (v)
		memcpy(o, "true", 4);
	else
		memcpy(o, "false", 5);
	done(a, o + (v ? 4 : 5));
}

void
pl_attrs_hex(struct pl_attrs *a, const char *key, const uint8_t *p,
	     size_t len)
{
	if (!member(a, key, 2 + 2 * len))
		return;
	char *o = a->buf + a->len;
	*o++ = '"';
	o = pl_put_hex(o, p, len);
	*o++ = '"';
	done(a, o);
}

/*
 * pl_attrs_str with a body of len bytes that need no escaping succeeds
 * exactly when key, quotes and body fit at once (it checks the quotes, then
 * the body against what is left), and a failure leaves nothing written:
 * so one check here gives the same text.
 */
void
pl_attrs_plain(struct pl_attrs *a, const char *key, const char *s,
	       size_t len)
{
	if (!member(a, key, 2 + len))
		return;
	char *o = a->buf + a->len;
	*o++ = '"';
	memcpy(o, s, len);
	o += len;
	*o++ = '"';
	done(a, o);
}

/*
 * Number lists. After the array is open, one value is written per member,
 * each checked against the room left; when n values of at most per bytes
 * (with their comma) fit in the room at the start, every one of those
 * checks passes, so the values are written with none. Otherwise (a list
 * the buffer may cut) the caller writes them one member at a time.
 */
static char *
list_open(struct pl_attrs *a, const char *key, size_t n, size_t per)
{
	pl_attrs_array(a, key);
	if (a->truncated || n > room(a) / per)
		return NULL;
	return a->buf + a->len;
}

/* End a list written without checks, its last value ending at o. */
static void
list_close(struct pl_attrs *a, char *o, size_t n)
{
	if (n)
		a->first[a->depth] = false;
	done(a, o);
	pl_attrs_end(a);
}

/* Decimal lists of 8- or 16-bit values: v holds n values of `size` bytes,
 * each at most `per` bytes written with its comma. */
static void
dec_list(struct pl_attrs *a, const char *key, const void *v, size_t size,
	 size_t n, size_t per)
{
	const uint8_t *v8 = v;
	const uint16_t *v16 = v;
	char *o = list_open(a, key, n, per);
	if (!o) {
		for (size_t i = 0; i < n; i++)
			pl_attrs_uint(a, NULL, size == 1 ? v8[i] : v16[i]);
		pl_attrs_end(a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = pl_put_dec16(o, size == 1 ? v8[i] : v16[i]);
	}
	list_close(a, o, n);
}

void
pl_attrs_uint8_list(struct pl_attrs *a, const char *key, const uint8_t *v,
		    size_t n)
{
	dec_list(a, key, v, 1, n, 4); /* ",255" */
}

void
pl_attrs_uint16_list(struct pl_attrs *a, const char *key, const uint16_t *v,
		     size_t n)
{
	dec_list(a, key, v, 2, n, 6); /* ",65535" */
}

void
pl_attrs_hex16_list(struct pl_attrs *a, const char *key, const uint16_t *v,
		    size_t n)
{
	char *o = list_open(a, key, n, 7); /* ,"c02b" */
	if (!o) {
		for (size_t i = 0; i < n; i++) {
			uint8_t b[2] = {(uint8_t)(v[i] >> 8), (uint8_t)v[i]};
			pl_attrs_hex(a, NULL, b, 2);
		}
		pl_attrs_end(a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		*o++ = '"';
		o = pl_put_hex16(o, v[i]);
		*o++ = '"';
	}
	list_close(a, o, n);
}
