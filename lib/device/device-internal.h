/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_DEVICE_INTERNAL_H
#define PL_DEVICE_INTERNAL_H

/* What the files of lib/device share: counted values, addresses, the device
 * entry and the table. Not a public interface. */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "device.h"

/* Counted values: distinct strings with a count, bytes and a MAC each
 * (what the MAC means is the user's). Bounded at PL_DEVICE_VALUES_MAX:
 * further distinct values only add to `other`. */
struct pl_val {
	char *key;
	uint32_t hash;
	uint64_t n;
	uint64_t bytes;
	uint8_t mac[6];
};

struct pl_vals {
	struct pl_val *v;
	uint32_t len;
	uint32_t cap;
	uint64_t other; /* adds of values that did not fit */
};

/** Count key (n and bytes added); mac, if not NULL, is kept from the first
 * add. @return the entry, or NULL when it did not fit (counted) or on no
 * memory. */
struct pl_val *pl_vals_add(struct pl_vals *s, const char *key, uint64_t n,
			   uint64_t bytes, const uint8_t *mac);
/** The entry of key, or NULL. */
const struct pl_val *pl_vals_find(const struct pl_vals *s, const char *key);
void pl_vals_free(struct pl_vals *s);
/** The entries sorted by count (then bytes, then key), most first. */
const struct pl_val **pl_vals_sorted(const struct pl_vals *s);
/** [{"value": key, "count": n}, ...] by count, at most top (0 = all). */
json_t *pl_vals_json(const struct pl_vals *s, unsigned top);

/* An IPv4 or IPv6 address. */
struct pl_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];  /* IPv4 in the first 4 bytes, the rest zero */
};

/** Address of key side `side` of a record. */
void pl_addr_of_key(const struct pl_flow_key *k, unsigned side,
		    struct pl_addr *out);
/** Parse a dotted quad or an IPv6 text. @return 0 or -EINVAL. */
int pl_addr_parse(const char *s, struct pl_addr *out);
/** Text form (46 bytes suffice). */
void pl_addr_str(const struct pl_addr *a, char *buf, size_t size);
/** Not a routable unicast address of the Internet: private, shared,
 * loopback, link-local, documentation, benchmarking, unique local,
 * multicast, broadcast, unspecified (RFC 6890 and its updates). */
bool pl_addr_is_special(const struct pl_addr *a);
/** 0.0.0.0, ::, multicast or broadcast: never a host's own address. */
bool pl_addr_is_nobody(const struct pl_addr *a);

/* Where a device's address was seen. */
#define PL_DEV_SRC_TRAFFIC 0x01
#define PL_DEV_SRC_ARP 0x02
#define PL_DEV_SRC_DHCP 0x04
#define PL_DEV_SRC_MDNS 0x08
#define PL_DEV_SRC_NDP 0x10
/* Sources that say the address is on the local link. */
#define PL_DEV_SRC_ONLINK (PL_DEV_SRC_ARP | PL_DEV_SRC_DHCP | PL_DEV_SRC_MDNS | PL_DEV_SRC_NDP)

struct pl_dev_addr {
	struct pl_addr a;
	uint8_t sources;
	uint64_t first_us;
	uint64_t last_us;
};

/* Protocol statistics: [0] on the protocol's standard port, [1] other. */
#define PL_DEV_PROTOS_MAX 16
struct pl_dev_proto {
	char name[24];
	uint64_t flows[2];
	uint64_t pkts[2];
	uint64_t bytes[2];
};

struct pl_dev_hour {
	int64_t hour; /* hours since the epoch */
	uint64_t bytes;
	uint64_t by_proto[PL_DEV_PROTOS_MAX]; /* index into protos */
};

#define PL_DEV_FINDING_UIDS 3
struct pl_dev_finding {
	char *proto;
	char *rule;
	char *severity;
	char *value; /* the first value that broke the rule */
	uint64_t count;
	uint64_t first_us;
	uint64_t last_us;
	char uids[PL_DEV_FINDING_UIDS][24];
};

/* The attributes counted per device: section and member of the report. */
#define PL_DEV_FEATURES(X)                                                     \
	X(DNS_QUERIES, "dns", "queries")                                       \
	X(TLS_JA3, "tls", "ja3")                                               \
	X(TLS_JA4, "tls", "ja4")                                               \
	X(TLS_SNI, "tls", "sni")                                               \
	X(TLS_ALPN, "tls", "alpn")                                             \
	X(TLS_VERSIONS_OFFERED, "tls", "versions_offered")                     \
	X(TLS_CIPHERS_OFFERED, "tls", "cipher_lists_offered")                  \
	X(TLS_VERSIONS_CHOSEN, "tls", "versions_chosen")                       \
	X(TLS_CIPHERS_CHOSEN, "tls", "ciphers_chosen")                         \
	X(TLS_JA3S, "tls", "ja3s")                                             \
	X(TLS_CERT_CN, "tls", "certificate_names")                             \
	X(HTTP_METHODS, "http", "methods")                                     \
	X(HTTP_HOSTS, "http", "hosts")                                         \
	X(HTTP_USER_AGENTS, "http", "user_agents")                             \
	X(HTTP_URIS, "http", "uris")                                           \
	X(HTTP_AUTH, "http", "auth_schemes")                                   \
	X(HTTP_SERVERS, "http", "servers_contacted")                           \
	X(HTTP_SERVER_SOFTWARE, "http", "server_software")                     \
	X(NTP_VERSIONS, "ntp", "versions")                                     \
	X(NTP_MODES, "ntp", "modes")                                           \
	X(NTP_SERVERS, "ntp", "servers")                                       \
	X(DHCP_FINGERPRINTS, "dhcp", "fingerprints")                           \
	X(DHCP_VENDOR_CLASSES, "dhcp", "vendor_classes")                       \
	X(DHCP_HOSTNAMES, "dhcp", "hostnames")                                 \
	X(DHCP_CLIENT_IDS, "dhcp", "client_ids")                               \
	X(DHCP_FQDNS, "dhcp", "fqdns")                                         \
	X(SSDP_NT, "ssdp", "nt")                                               \
	X(SSDP_ST, "ssdp", "st")                                               \
	X(SSDP_SERVERS, "ssdp", "servers")                                     \
	X(SSDP_USER_AGENTS, "ssdp", "user_agents")

enum pl_dev_feature {
#define PL_X(e, sec, key) PL_DEV_F_##e,
	PL_DEV_FEATURES(PL_X)
#undef PL_X
	PL_DEV_F_MAX
};

/* Requests of one kind a device repeats (method, host, path): the mean
 * and spread of the time between them, kept as running sums (Welford). */
#define PL_DEV_POLLS_MAX 64
#define PL_DEV_POLL_UIDS 3
struct pl_dev_poll {
	char *key;       /* "GET host/path" */
	uint64_t n;      /* requests */
	uint64_t first_us, last_us;
	double mean_s;   /* of the intervals */
	double m2;       /* sum of squared deviations of the intervals */
	uint64_t intervals;
	char uids[PL_DEV_POLL_UIDS][24]; /* the latest flows */
};

struct pl_device {
	uint8_t mac[6];
	uint64_t first_us;
	uint64_t last_us;
	uint64_t flows;
	uint64_t pkts_sent, bytes_sent, pkts_recv, bytes_recv;
	struct pl_dev_addr addrs[PL_DEVICE_ADDRS_MAX];
	unsigned nb_addrs;
	uint64_t addrs_dropped;
	/* Linear counting of the distinct routable addresses seen behind
	 * this MAC: the gateway is the MAC most of them sit behind. */
	uint64_t global_bits[16];
	bool routable4; /* a routable IPv4 address was seen behind it */
	struct pl_dev_proto protos[PL_DEV_PROTOS_MAX];
	unsigned nb_protos;
	struct pl_vals peers;    /* peer MAC text -> bytes exchanged */
	struct pl_vals services; /* "addr|proto|transport|port" -> flows, bytes;
				    mac = the responder's MAC */
	struct pl_vals answers;  /* "addr\tname" from DNS answers received */
	struct pl_vals names;    /* "source\tname" */
	struct pl_vals feat[PL_DEV_F_MAX];
	struct pl_dev_hour *hours; /* by hour, ascending */
	unsigned nb_hours;
	uint64_t hours_dropped;
	struct pl_dev_finding *findings;
	unsigned nb_findings;
	struct pl_dev_poll polls[PL_DEV_POLLS_MAX];
	unsigned nb_polls;
};

struct pl_device_table {
	struct pl_device_config cfg;
	struct pl_device **slot; /* open addressing by MAC */
	uint32_t mask;
	struct pl_device **list; /* in order of creation */
	uint32_t count;
	uint64_t dropped;   /* devices that did not fit */
	uint64_t no_memory; /* updates lost for lack of memory */
	uint64_t last_us;   /* latest time seen */
};

/** The device of a unicast MAC, created if new.
 * @return the device, or NULL (group or zero MAC, table full, no memory:
 *         the last two counted). */
struct pl_device *pl_device_lookup(struct pl_device_table *t,
				   const uint8_t mac[6], bool create);

/** Note an address of a device, with where it was seen. */
void pl_device_addr(struct pl_device *d, const struct pl_addr *a,
		    uint8_t source, uint64_t ts_us);
/** Estimated distinct routable addresses behind the device's MAC. */
double pl_device_global_estimate(const struct pl_device *d);
/** Whether a MAC is locally administered (U/L bit set). */
static inline bool
pl_mac_is_local(const uint8_t mac[6])
{
	return (mac[0] & 0x02) != 0;
}

/** Count one value of a feature of a device. */
void pl_device_feature(struct pl_device *d, enum pl_dev_feature f,
		       const char *value);

/** Note that a was seen behind the device's MAC (counts if routable). */
void pl_device_note_global(struct pl_device *d, const struct pl_addr *a);
/** Whether the device has a private (special-purpose) IPv4 address. */
bool pl_device_has_private4(const struct pl_device *d);
/** Whether the MAC routes for others: more than a few routable addresses
 * behind it, or a routable IPv4 address beside a private one. */
bool pl_device_routes(const struct pl_device *d);
/** Whether a is surely the device's own: special-purpose, or learned on
 * the link. */
bool pl_device_surely_owns(const struct pl_device *d, const struct pl_addr *a);
/** Whether a is the device's own address (ingest.c). */
bool pl_device_owns(struct pl_device *d, const struct pl_addr *a);

/** A plaintext request of the device at ts_us (uid: its flow's). */
void pl_device_poll(struct pl_device *d, const char *key, uint64_t ts_us,
		    const char *uid);

/** Names of a feature. */
const char *pl_dev_feature_section(enum pl_dev_feature f);
const char *pl_dev_feature_key(enum pl_dev_feature f);

#endif /* PL_DEVICE_INTERNAL_H */
