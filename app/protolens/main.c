/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * protolens: options, EAL, the port and the lcore roles.
 *
 *   protolens --pcap FILE [options]          a trace, through the pcap PMD;
 *                                            EAL arguments are built here
 *   protolens [EAL arguments] -- [options]   NIC ports: with N workers the
 *                                            port gets N RSS queues, one per
 *                                            worker (run to completion)
 *
 * Pipeline layout (a trace, or a single-queue port): the main lcore runs
 * control, one lcore receives and decodes, the others are workers.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mbuf_dyn.h>
#include <rte_memory.h>
#include <rte_telemetry.h>

#include "device.h"
#include "model.h"
#include "policy.h"
#include "protolens.h"

volatile sig_atomic_t pl_quit;

static void
on_signal(int sig)
{
	(void)sig;
	pl_quit = 1;
}

static void
warn_model(const char *msg)
{
	fprintf(stderr, "protolens: warning: %s\n", msg);
}

static int
make_dir(const char *dir)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		goto fail;
	if (access(dir, W_OK) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "protolens: --out: cannot use directory '%s': %s\n", dir,
		strerror(errno));
	return -1;
}

/* EAL arguments for a trace: no hugepages, private runtime files, one
 * pcap vdev, and lcores laid over the CPUs this process may use. */
static int
pcap_eal_args(const struct pl_options *o, int64_t packets, char **argv,
	      char *store, size_t size)
{
	cpu_set_t set;
	int cpus[CPU_SETSIZE], nc = 0;
	int argc = 0;
	size_t used = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpus[nc++] = i;
	if (nc == 0)
		cpus[nc++] = 0;

#define ADD(...)                                                               \
	do {                                                                   \
		argv[argc++] = store + used;                                   \
		used += (size_t)snprintf(store + used, size - used,            \
					 __VA_ARGS__) + 1;                     \
	} while (0)

	/* Control sleeps when idle, so it shares the first CPU with RX when
	 * CPUs are few; workers get the others. */
	char lcores[2048];
	size_t n = 0;
	int rx_cpu = nc >= 3 ? cpus[1] : cpus[0];
	int first_worker = nc >= 3 ? 2 : (nc == 2 ? 1 : 0);
	n += (size_t)snprintf(lcores + n, sizeof(lcores) - n, "0@%d,1@%d",
			      cpus[0], rx_cpu);
	for (unsigned w = 0; w < o->workers; w++) {
		int cpu = cpus[first_worker +
			       (int)(w % (unsigned)(nc - first_worker))];
		n += (size_t)snprintf(lcores + n, sizeof(lcores) - n, ",%u@%d",
				      w + 2, cpu);
	}
	if (o->workers > (unsigned)(nc - first_worker))
		fprintf(stderr, "protolens: warning: %u workers share %d "
				"CPU(s): expect lower throughput\n",
			o->workers, nc - first_worker);

	uint64_t mem = o->mem_mb;
	if (mem == 0) {
		/* Flow table and state ~240 B per flow; mbufs 2.5 KB each;
		 * replay keeps the whole trace in mbufs. */
		uint64_t mbufs = (uint64_t)o->workers * o->ring_size + 8192 +
				 (o->replay ? (uint64_t)packets : 0);
		mem = 128 + ((uint64_t)o->workers * o->flows * 240 +
			     mbufs * 2560 +
			     (uint64_t)o->workers * o->record_ring_size * 160 +
			     (uint64_t)o->workers * o->attr_blobs *
				     (PL_ATTR_MSG_SIZE + 256)) /
				    (1 << 20);
	}
	ADD("protolens");
	ADD("--no-huge");
	ADD("-m");
	ADD("%" PRIu64, mem);
	ADD("--no-shconf");
	ADD("--file-prefix=protolens%d", (int)getpid());
	ADD("--no-pci");
	ADD("--lcores=%s", lcores);
	ADD("--log-level=lib.eal:error");
	ADD("--vdev=net_pcap0,rx_pcap=%s%s", o->pcap,
	    o->replay ? ",infinite_rx=1" : "");
#undef ADD
	if (used > size)
		return -1;
	return argc;
}

static int
port_init(struct pl_app *app, struct rte_mempool *pool, uint16_t nb_queues)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = {0};
	uint16_t port = app->port;
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "protolens: --port: no ethdev port %u (%u "
				"available)\n", port, rte_eth_dev_count_avail());
		return -1;
	}
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		goto fail;
	if (nb_queues > info.max_rx_queues) {
		fprintf(stderr, "protolens: port %u has %u RX queues, %u "
				"workers need one each\n",
			port, info.max_rx_queues, nb_queues);
		return -1;
	}
	if (nb_queues > 1) {
		/* A repeated 0x6d5a key makes Toeplitz symmetric: both
		 * directions of a flow reach the same queue and worker. */
		static uint8_t key[40];
		for (size_t i = 0; i < sizeof(key); i += 2) {
			key[i] = 0x6d;
			key[i + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(key);
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(port, nb_queues, 0, &conf);
	if (rc != 0)
		goto fail;
	for (uint16_t q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, 1024,
					    rte_eth_dev_socket_id(port), NULL,
					    pool);
		if (rc != 0)
			goto fail;
	}
	rte_eth_promiscuous_enable(port);
	rc = rte_eth_dev_start(port);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "protolens: port %u: setup failed: %s\n", port,
		rte_strerror(-rc));
	return -1;
}

/* The pktmbuf pool, made by hand for one flag: without hugepages a pool
 * whose objects must be IOVA-contiguous puts each mbuf alone on a 4 KiB
 * page, so the headers, metas and data of a burst all fall in the same
 * L1 sets and evict each other between the PMD's copy and the decoder.
 * A trace has no DMA: its mbufs are packed. */
static struct rte_mempool *
mbuf_pool_create(unsigned n, bool no_dma)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
		.mbuf_priv_size = PL_PKT_META_SIZE,
	};
	struct rte_mempool *mp = rte_mempool_create_empty(
		"pl_mbufs", n,
		sizeof(struct rte_mbuf) + PL_PKT_META_SIZE +
			RTE_MBUF_DEFAULT_BUF_SIZE,
		256, sizeof(priv), (int)rte_socket_id(),
		no_dma ? RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0);
	if (mp == NULL)
		return NULL;
	/* A stack hands out the mbufs freed last, still in cache, where the
	 * default ring cycles through the whole pool (measured: worker 70-77
	 * cycles/packet instead of 79-92, docs/benchmarks.md). */
	if (rte_mempool_set_ops_byname(mp, "stack", NULL) != 0 &&
	    rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	return NULL;
}

static int
populate_msl(const struct rte_memseg_list *msl, void *arg)
{
	int *rc = arg;
	if (msl->base_va != NULL && msl->len > 0 &&
	    madvise(msl->base_va, msl->len, MADV_POPULATE_WRITE) != 0)
		*rc = -errno;
	return 0;
}

/* Without hugepages EAL memory is ordinary anonymous memory, faulted in on
 * first touch: a flow table then pays page faults on the fast path until
 * every page was used once (~20% of a new flow's cost, measured). Fault it
 * all in before the lcores start, as hugepages would be. */
static void
prefault_eal_memory(void)
{
	int rc = 0;
	rte_memseg_list_walk(populate_msl, &rc);
	if (rc != 0)
		fprintf(stderr, "protolens: warning: cannot prefault EAL memory "
				"(%s): first packets pay page faults\n",
			strerror(-rc));
}

static int
rings_init(struct pl_app *app)
{
	char name[32];
	for (unsigned w = 0; w < app->opt.workers; w++) {
		struct pl_worker *wk = &app->workers[w];
		wk->app = app;
		wk->id = w;
		wk->queue = (uint16_t)w;
		if (app->pipeline) {
			snprintf(name, sizeof(name), "pl_in_%u", w);
			wk->in = rte_ring_create(name, app->opt.ring_size,
						 (int)rte_socket_id(),
						 RING_F_SP_ENQ | RING_F_SC_DEQ |
							 RING_F_EXACT_SZ);
		}
		snprintf(name, sizeof(name), "pl_rec_%u", w);
		wk->records = rte_ring_create_elem(
			name, sizeof(struct pl_flow_record),
			app->opt.record_ring_size, (int)rte_socket_id(),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (app->models && !app->opt.no_attrs) {
			/* Control returns what workers take: one producer
			 * and one consumer each way. */
			snprintf(name, sizeof(name), "pl_attrpool_%u", w);
			wk->attr_pool = rte_mempool_create(
				name, app->opt.attr_blobs, PL_ATTR_MSG_SIZE, 0,
				0, NULL, NULL, NULL, NULL, (int)rte_socket_id(),
				RTE_MEMPOOL_F_NO_IOVA_CONTIG |
					RTE_MEMPOOL_F_SP_PUT |
					RTE_MEMPOOL_F_SC_GET);
			snprintf(name, sizeof(name), "pl_attrs_%u", w);
			wk->attrs = rte_ring_create(
				name, app->opt.attr_blobs, (int)rte_socket_id(),
				RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
			if (wk->attr_pool == NULL || wk->attrs == NULL) {
				fprintf(stderr, "protolens: cannot create worker "
						"%u's attribute pool: %s (raise "
						"--mem or lower --attr-blobs)\n",
					w, rte_strerror(rte_errno));
				return -1;
			}
		}
		if ((app->pipeline && wk->in == NULL) || wk->records == NULL) {
			fprintf(stderr, "protolens: cannot create worker %u's "
					"rings: %s (raise --mem)\n",
				w, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

static int
assign_lcores(struct pl_app *app)
{
	unsigned need = app->opt.workers + (app->pipeline ? 1 : 0);
	unsigned have = rte_lcore_count() - 1;
	if (have < need) {
		fprintf(stderr, "protolens: %u worker lcore(s)%s need %u lcores "
				"besides the main one, EAL gave %u\n",
			app->opt.workers, app->pipeline ? " and RX" : "", need,
			have);
		return -1;
	}
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	if (app->pipeline) {
		app->rx_lcore = lcore;
		lcore = rte_get_next_lcore(lcore, 1, 0);
	}
	for (unsigned w = 0; w < app->opt.workers; w++) {
		app->workers[w].lcore = lcore;
		lcore = rte_get_next_lcore(lcore, 1, 0);
	}
	return 0;
}

static char runtime_dir[256];

/* Registered before EAL so that it runs after EAL's own exit handlers
 * (telemetry unlinks its sockets then): only then is the directory empty. */
static void
remove_runtime_dir(void)
{
	if (strstr(runtime_dir, "/protolens") != NULL)
		rmdir(runtime_dir);
}

int
main(int argc, char **argv)
{
	static struct pl_app app;
	char *eal_argv[32];
	static char eal_store[8192];
	int eal_argc, sep = -1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	/* Without "--", everything is ours (pcap mode). */
	int rc = sep < 0 ? pl_options_parse(&app.opt, argc - 1, argv + 1)
			 : pl_options_parse(&app.opt, argc - sep - 1,
					    argv + sep + 1);
	if (rc == 1) {
		pl_options_usage(stdout);
		return 0;
	}
	if (rc < 0)
		return 2;
	if (sep < 0 && app.opt.pcap == NULL) {
		fprintf(stderr, "protolens: no --pcap FILE and no EAL arguments "
				"before '--' (see --help)\n");
		return 2;
	}
	if (sep >= 0 && app.opt.pcap != NULL) {
		fprintf(stderr, "protolens: --pcap builds its own EAL arguments: "
				"drop the ones before '--'\n");
		return 2;
	}
	if (app.opt.pcap) {
		int link;
		int64_t n = pl_trace_count(app.opt.pcap, &link, &app.cuts,
					   &app.nb_cuts);
		if (n < 0)
			return 1;
		app.expected = (uint64_t)n;
		app.link = (enum pl_pkt_link)link;
		app.offline = !app.opt.replay;
	} else {
		app.link = PL_LINK_ETHERNET;
	}
	if (make_dir(app.opt.out_dir) != 0)
		return 1;
	{
		char err[1024];
		app.oui = pl_oui_load(app.opt.oui_dir, err, sizeof(err));
		if (app.oui == NULL && app.opt.oui_dir_given) {
			fprintf(stderr, "protolens: --oui-dir: %s\n", err);
			return 1;
		}
		if (app.oui == NULL)
			fprintf(stderr, "protolens: warning: %s: devices get no "
					"vendor (install ieee-data or set "
					"--oui-dir)\n", err);
	}
	if (!app.opt.no_inspect) {
		char err[1024];
		app.models = pl_model_set_load(app.opt.models, err, sizeof(err),
					       warn_model);
		if (app.models == NULL) {
			fprintf(stderr, "protolens: %s\n", err);
			return 1;
		}
		app.ciphers = pl_cipher_registry_load(app.opt.ciphersuites,
						      app.opt.cipher_levels,
						      err, sizeof(err));
		if (app.ciphers == NULL) {
			fprintf(stderr, "protolens: --cipher%s: %s\n",
				app.opt.cipher_levels ? "-levels" : "suites", err);
			return 1;
		}
		app.policy = pl_policy_create(app.models, app.ciphers, err,
					      sizeof(err));
		if (app.policy == NULL) {
			fprintf(stderr, "protolens: %s\n", err);
			return 1;
		}
	}

	if (app.opt.pcap) {
		eal_argc = pcap_eal_args(&app.opt, (int64_t)app.expected,
					 eal_argv, eal_store, sizeof(eal_store));
		if (eal_argc < 0)
			return 1;
	} else {
		eal_argc = sep;
		for (int i = 0; i < sep && i < 31; i++)
			eal_argv[i] = argv[i];
	}
	eal_argv[eal_argc] = NULL;
	if (app.opt.pcap)
		atexit(remove_runtime_dir);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "protolens: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s",
		 rte_eal_get_runtime_dir());
	if (app.opt.pcap)
		prefault_eal_memory();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	app.port = app.opt.pcap ? 0 : app.opt.port;
	app.pipeline = app.opt.pcap != NULL || app.opt.workers == 1;
	app.ts_offset = -1;
	rc = 1;
	if (assign_lcores(&app) != 0 || rings_init(&app) != 0)
		goto out;

	uint16_t nb_queues = app.pipeline ? 1 : (uint16_t)app.opt.workers;
	/* The pool outlives every ring and descriptor that can hold mbufs,
	 * so the port never runs short (the pcap PMD loses the packet it
	 * read when it does). Run to completion has no worker rings. */
	unsigned nb_mbufs = (app.pipeline ? app.opt.workers * app.opt.ring_size
					  : 0) +
			    nb_queues * 1024 + 2 * PL_BURST * (PL_MAX_WORKERS + 1) +
			    4096;
	if (app.opt.replay)
		nb_mbufs += (unsigned)app.expected;
	struct rte_mempool *pool =
		mbuf_pool_create(nb_mbufs, app.opt.pcap != NULL);
	if (pool == NULL) {
		fprintf(stderr, "protolens: cannot create %u mbufs: %s (raise "
				"--mem)\n", nb_mbufs, rte_strerror(rte_errno));
		goto out;
	}
	app.pool = pool;
	if (port_init(&app, pool, nb_queues) != 0)
		goto out;
	/* Replay loops the trace without timestamps: use wall time. */
	if (!app.opt.replay)
		app.ts_offset = rte_mbuf_dynfield_lookup(
			RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	if (app.ts_offset < 0)
		app.ts_offset = -1;

	if (pl_stats_telemetry_init(&app) != 0)
		fprintf(stderr, "protolens: warning: telemetry commands not "
				"registered\n");
	app.start_tsc = rte_get_tsc_cycles();
	if (app.pipeline)
		rte_eal_remote_launch(pl_rx_main, &app, app.rx_lcore);
	for (unsigned w = 0; w < app.opt.workers; w++)
		rte_eal_remote_launch(pl_worker_main, &app.workers[w],
				      app.workers[w].lcore);
	rc = pl_control_run(&app) == 0 ? 0 : 1;
	rte_eal_mp_wait_lcore();
	rte_eth_dev_stop(app.port);
	rte_eth_dev_close(app.port);
out:
	rte_eal_cleanup();
	pl_policy_free(app.policy);
	pl_cipher_registry_free(app.ciphers);
	pl_model_set_free(app.models);
	pl_oui_free(app.oui);
	free(app.cuts);
	return rc;
}
