/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_DEVICE_H
#define PL_DEVICE_H

/**
 * @file
 * Devices: one entry per local MAC address, built on the control lcore from
 * the ended flows and the attributes of their messages. Each entry holds the
 * device's identity (vendor from the IEEE registry, addresses, names), its
 * fingerprint (protocols, DNS names, remote services, per-protocol
 * attributes), its traffic (internal and external bytes, an hourly series)
 * and is exported as devices.json (docs/output.md, docs/schema/).
 *
 * Control plane only: nothing here is thread-safe (the caller serialises
 * readers such as telemetry with its writer), nothing is on the packet path,
 * and no DPDK function is called. Every table is bounded: what does not fit
 * is counted, never a crash.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "flow.h"

/* OUI registry */

struct pl_oui;

/**
 * Load the IEEE MAC address registries of a directory: oui.csv (MA-L,
 * 24-bit prefixes), mam.csv (MA-M, 28 bits) and oui36.csv (MA-S, 36 bits),
 * as Debian's ieee-data installs them (/usr/share/ieee-data).
 * @param err  receives a one-line message on failure
 * @return the registry, or NULL: a file is missing or unreadable, a line is
 *         not "Registry,Assignment,Organization Name,..." with a hex
 *         assignment of the registry's length (err says file:line: what).
 */
struct pl_oui *pl_oui_load(const char *dir, char *err, size_t errlen);

/** Free a registry; NULL is a no-op. */
void pl_oui_free(struct pl_oui *o);

/** Assignments loaded (all three registries). */
size_t pl_oui_count(const struct pl_oui *o);

/**
 * The organisation a MAC's longest registered prefix is assigned to.
 * @param registry  out (if not NULL): "MA-S", "MA-M" or "MA-L"
 * @return the name, or NULL (not registered, or o is NULL). Locally
 *         administered and group addresses are looked up like any other;
 *         the caller decides what a match means for them.
 */
const char *pl_oui_vendor(const struct pl_oui *o, const uint8_t mac[6],
			  const char **registry);

/* end OUI registry */

/* Device table */

/** Default bound of the device table. */
#define PL_DEVICE_DEFAULT_MAX 4096
/** Distinct values kept per counted attribute of a device (DNS names,
 * user agents, ...); further distinct values are counted as `other`. */
#define PL_DEVICE_VALUES_MAX 256
/** Addresses kept per device. */
#define PL_DEVICE_ADDRS_MAX 16
/** Hours kept in a device's time series (the most recent ones). */
#define PL_DEVICE_HOURS_MAX 744

/** A best-practice check, for the report's compliance matrix. */
struct pl_device_rule {
	const char *proto; /**< the protocol it checks */
	const char *id;
};

struct pl_device_config {
	uint32_t max_devices;      /**< 1.. ; past it, counted in dropped */
	unsigned top;              /**< entries of the top-N lists (URIs,
					remote services); 0 = all kept */
	const struct pl_oui *oui;  /**< vendors; NULL for none */
	/** The checks (kept by pointer: they must outlive the table); a
	 * device passes each check of a protocol it spoke that it has no
	 * finding of. */
	const struct pl_device_rule *rules;
	unsigned nb_rules;
};

/** An ended flow as control sees it. */
struct pl_device_flow {
	const struct pl_flow_record *rec;
	const char *proto;  /**< detected protocol ("tls", ...), "arp" for ARP
				 records, NULL when none */
	bool std_port;      /**< either port is the protocol's standard one */
};

/** One dissected message of a flow direction, as it arrives (before its
 * flow ends). */
struct pl_device_msg {
	const json_t *attrs;           /**< the dissector's object (parsed) */
	const char *proto;             /**< as in struct pl_device_flow */
	const struct pl_flow_key *key; /**< its flow's key */
	uint8_t side;                  /**< key side that sent it */
	uint8_t orig_side;             /**< key side of the flow's originator */
	uint8_t src_mac[6];            /**< of its packet */
	uint8_t dst_mac[6];
	uint8_t ttl;                   /**< IP TTL or hop limit of its packet */
	uint64_t ts_us;                /**< capture time of its packet */
	const char *uid;               /**< its flow's uid (NULL if none) */
};

/*
 * A plaintext API polled at a regular interval (the presence inference of
 * the first ProtoIoT paper: an assistant polling a light bridge): the same
 * HTTP request line of a device at least PL_DEVICE_POLL_MIN times, the
 * intervals' standard deviation at most PL_DEVICE_POLL_JITTER of their mean
 * and the mean at least PL_DEVICE_POLL_MIN_S. Reported as the device's
 * finding PL_DEVICE_POLL_RULE.
 */
#define PL_DEVICE_POLL_RULE "http-periodic-polling"
#define PL_DEVICE_POLL_MIN 5
#define PL_DEVICE_POLL_JITTER 0.25
#define PL_DEVICE_POLL_MIN_S 0.5

struct pl_device_table;

/**
 * An empty device table.
 * @return the table, or NULL (errno: EINVAL max_devices is 0, ENOMEM).
 */
struct pl_device_table *pl_device_table_create(const struct pl_device_config *c);

/** Free a table; NULL is a no-op. */
void pl_device_table_free(struct pl_device_table *t);

/**
 * Account an ended flow's traffic to the devices it involves: each side
 * whose MAC is a unicast address and whose address is the device's own
 * (docs/output.md, "Devices").
 * @return 0; -ENOSPC when a device could not be added (the table is full:
 *         counted in the report's `devices_dropped`, the rest of the flow is
 *         still accounted); -ENOMEM when memory ran out (counted likewise).
 */
int pl_device_add_flow(struct pl_device_table *t, const struct pl_device_flow *f);

/**
 * Count a message's attributes in the fingerprints of its sender and, for
 * what a responder tells an originator (a ServerHello, DNS answers), of the
 * originator. Messages come as they are dissected, so devices show what
 * they do while their flows go on.
 * @return 0, -ENOSPC, -ENOMEM as pl_device_add_flow.
 */
int pl_device_add_message(struct pl_device_table *t,
			  const struct pl_device_msg *m);

/**
 * A best-practice or privacy finding of a flow against the device of one
 * of its sides (call after pl_device_add_flow for that flow): counted per
 * rule, with first and last time, a few example flow uids and the value
 * that first broke the rule.
 * @param side  0: the originator, 1: the responder
 * @return 0; -ENOENT when that side is not a device (a group MAC, a remote
 *         host behind a router, a MAC that never sent); -ENOMEM.
 */
int pl_device_add_finding(struct pl_device_table *t,
			  const struct pl_flow_record *r, unsigned side,
			  const char *proto, const char *rule,
			  const char *severity, const char *value,
			  const char *uid);

/** Whether key side `side` of k has a routable (Internet) address: not
 * private, link-local, multicast, documentation, ... (RFC 6890). */
bool pl_device_addr_routable(const struct pl_flow_key *k, unsigned side);

/**
 * Devices in the table (the gateway included), and devices that could not
 * be added because it was full.
 */
size_t pl_device_count(const struct pl_device_table *t);
uint64_t pl_device_dropped(const struct pl_device_table *t);

/**
 * The device report (devices.json, docs/output.md): every device with its
 * identity, fingerprint and traffic, the gateway and the links between
 * randomised MACs.
 * @return a new reference, or NULL (no memory).
 */
json_t *pl_device_report(struct pl_device_table *t);

/**
 * One device as in the report, or NULL (no such device, no memory).
 * @return a new reference.
 */
json_t *pl_device_get(struct pl_device_table *t, const uint8_t mac[6]);

/**
 * Print the end-of-run table: one line per device with its vendor, name,
 * protocols and findings.
 */
void pl_device_print(struct pl_device_table *t, FILE *f);

/** Parse "aa:bb:cc:dd:ee:ff" (also '-' separated, any case).
 * @return 0, or -EINVAL. */
int pl_device_mac_parse(const char *s, uint8_t mac[6]);

/* end device table */

#endif /* PL_DEVICE_H */
