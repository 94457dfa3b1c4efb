/* rxe-odp-probe.c - RDMA WRITE and READ through an on-demand-paging registration, checked byte by byte against a pinned one. */
/*
 * The reproducer of docs/findings/rxe-odp-page-offset.md. Two RC queue
 * pairs on port 1 of the first RDMA device, connected to each other,
 * move LEN bytes at offset OFF of a 2 MiB region (THP or 4 KiB pages,
 * registered with or without IBV_ACCESS_ON_DEMAND) to and from a pinned
 * peer buffer. Each 8-byte word holds its own offset, so a word that
 * arrives from elsewhere says where from. Needs no migration and no
 * other load. Exit 0: every transfer moved the right bytes; 1: some did
 * not; 2: the device could not be set up.
 *
 *   cc -o rxe-odp-probe rxe-odp-probe.c -libverbs
 *   runners/vm --rdma --kernel KERNEL -- ./rxe-odp-probe
 */
#include <infiniband/verbs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define REGION		(2UL << 20)
#define WORDS_FROM	0x1000000000ULL	/* the region's first word */
#define PEER_FROM	0x2000000000ULL	/* the peer's, before an RDMA READ */

static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_qp *qp[2];

/* INIT, RTR towards dest, RTS: a loopback RC connection on port 1. */
static int qp_up(struct ibv_qp *q, uint32_t dest, const struct ibv_port_attr *pa,
		 const union ibv_gid *gid)
{
	struct ibv_qp_attr init = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR, .path_mtu = pa->active_mtu, .dest_qp_num = dest,
		.max_dest_rd_atomic = 1, .min_rnr_timer = 12,
		.ah_attr = { .dlid = pa->lid, .port_num = 1,
			     .is_global = pa->link_layer == IBV_LINK_LAYER_ETHERNET,
			     .grh = { .dgid = *gid, .hop_limit = 1 } },
	};
	struct ibv_qp_attr rts = {
		.qp_state = IBV_QPS_RTS, .timeout = 18, .retry_cnt = 7, .rnr_retry = 7,
		.max_rd_atomic = 1,
	};

	return ibv_modify_qp(q, &init, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			     IBV_QP_ACCESS_FLAGS) ||
	       ibv_modify_qp(q, &rtr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			     IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			     IBV_QP_MIN_RNR_TIMER) ||
	       ibv_modify_qp(q, &rts, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			     IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

static int setup(void)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 2, .max_recv_wr = 1, .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **l;
	struct ibv_context *ctx;
	struct ibv_port_attr pa;
	union ibv_gid gid = { 0 };
	int n;

	l = ibv_get_device_list(&n);
	if (!l || !n) {
		fprintf(stderr, "rxe-odp-probe: no RDMA device\n");
		return -1;
	}
	ctx = ibv_open_device(l[0]);
	if (!ctx || ibv_query_port(ctx, 1, &pa) ||
	    (pa.link_layer == IBV_LINK_LAYER_ETHERNET && ibv_query_gid(ctx, 1, 0, &gid)))
		return -1;
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 4, NULL, NULL, 0) : NULL;
	if (!cq)
		return -1;
	qa.send_cq = qa.recv_cq = cq;
	qp[0] = ibv_create_qp(pd, &qa);
	qp[1] = ibv_create_qp(pd, &qa);
	if (!qp[0] || !qp[1] || qp_up(qp[0], qp[1]->qp_num, &pa, &gid) ||
	    qp_up(qp[1], qp[0]->qp_num, &pa, &gid))
		return -1;
	printf("device %s, path MTU %d bytes\n", ibv_get_device_name(l[0]), 128 << pa.active_mtu);
	return 0;
}

/* One work request from qp[0], busy-waited for; 0 when it completed well. */
static int post(enum ibv_wr_opcode op, char *mem, struct ibv_mr *mr, char *peer,
		struct ibv_mr *pmr, size_t len)
{
	struct ibv_sge sge = { (uintptr_t)mem, len, mr->lkey };
	struct ibv_send_wr *bad, wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = op, .send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { (uintptr_t)peer, pmr->rkey },
	};
	struct ibv_wc wc;
	int n;

	if (ibv_post_send(qp[0], &wr, &bad))
		return -1;
	while (!(n = ibv_poll_cq(cq, 1, &wc)))
		;
	return n < 0 || wc.status != IBV_WC_SUCCESS ? -1 : 0;
}

static void fill(char *p, size_t len, uint64_t first)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = first + i;

		memcpy(p + i, &v, 8);
	}
}

/* Bytes of len that differ; the first one's offset in *first. */
static size_t differ(const char *a, const char *b, size_t len, long *first)
{
	size_t n = 0;

	*first = -1;
	for (size_t i = 0; i < len; i++) {
		if (a[i] == b[i])
			continue;
		if (!n++)
			*first = i;
	}
	return n;
}

/* One transfer each way at off; 1 when either moved a wrong byte, -1 on error. */
static int probe(bool thp, bool odp, size_t len, size_t off)
{
	static const char *const dir[] = { "WRITE from", "READ into" };
	size_t map = 2 * REGION, bad;
	char *raw, *mem, *peer;
	struct ibv_mr *mr, *pmr;
	int wrong = 0;
	long first;

	raw = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	peer = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED || peer == MAP_FAILED)
		return -1;
	mem = (char *)(((uintptr_t)raw + REGION - 1) & ~(REGION - 1));
	madvise(mem, REGION, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	fill(mem, REGION, WORDS_FROM);
	memset(peer, 0, REGION);
	mr = ibv_reg_mr(pd, mem, REGION, IBV_ACCESS_LOCAL_WRITE | (odp ? IBV_ACCESS_ON_DEMAND : 0));
	pmr = ibv_reg_mr(pd, peer, REGION, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			 IBV_ACCESS_REMOTE_READ);
	if (!mr || !pmr)
		return -1;
	for (int d = 0; d < 2; d++) {
		if (d)
			fill(peer, len, PEER_FROM);
		if (post(d ? IBV_WR_RDMA_READ : IBV_WR_RDMA_WRITE, mem + off, mr, peer, pmr, len))
			return -1;
		bad = differ(mem + off, peer, len, &first);
		printf("%-4s %-7s %-10s %6zu bytes at offset %4zu: %zu wrong%s", thp ? "THP" : "4K",
		       odp ? "ODP" : "pinned", dir[d], len, off, bad, bad ? ", the first at " : "\n");
		if (bad)
			printf("%ld\n", first);
		wrong |= !!bad;
	}
	ibv_dereg_mr(mr);
	ibv_dereg_mr(pmr);
	munmap(raw, map);
	munmap(peer, REGION);
	return wrong;
}

int main(void)
{
	int wrong = 0, ret;

	if (setup())
		return 2;
	for (int thp = 0; thp < 2; thp++)
		for (int odp = 0; odp < 2; odp++)
			for (size_t len = 512; len <= 32768; len *= 4)
				for (size_t off = 0; off <= 4096; off += 2048) {
					ret = probe(thp, odp, len, off);
					if (ret < 0) {
						fprintf(stderr, "rxe-odp-probe: a registration or transfer failed\n");
						return 2;
					}
					wrong |= ret;
				}
	printf("rxe-odp-probe: %s\n", wrong ? "WRONG BYTES moved" : "every byte right");
	return wrong;
}
