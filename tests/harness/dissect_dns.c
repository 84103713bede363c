/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_dns [--tcp] FILE: the DNS dissector on FILE's bytes
 * (one UDP datagram, or with --tcp the head of a TCP stream with its 2-byte length prefix). */
#include "harness.h"

int
main(int argc, char **argv)
{
	return harness_main(argc, argv, pl_dns_dissect, pl_dns_dissect_tcp);
}
