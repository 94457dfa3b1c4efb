/* pin_rdma.c - the rdma backends: ibv_reg_mr on the memory, RDMA WRITE and READ through it on a loopback RC queue pair. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_LIBIBVERBS
#include <infiniband/verbs.h>
#endif

#include "pin_int.h"
#include "util.h"

#define RDMA_HOWTO	"soft-RoCE: modprobe rdma_rxe; rdma link add rxe0 type rxe netdev NIC (runners/vm --rdma does it in the emulated machine)"

/* A completion later than this is an error, not a hang (the emulated machine can be slow). */
#define RDMA_WAIT_MS	60000

/* --rdma-device: set before any pinner starts, so the threads read it unlocked. */
static const char *rdma_device;

static const struct opt rdma_opts[] = {
	{ "rdma-device", OPT_STR, &rdma_device, NULL,
	  "rdma, rdma-odp: the RDMA device (a NIC, or soft-RoCE's rxe0) by name; default the first one" },
	{ NULL }
};

enum { RDMA_LAT_REG, RDMA_LAT_DEREG, RDMA_LAT_WR };

static const char *const rdma_lat_names[] = { "ibv_reg_mr", "ibv_dereg_mr", "completion", NULL };

#ifdef HAVE_LIBIBVERBS
/*
 * qp[0] posts RDMA WRITE and READ between the memory under test (mr,
 * registered for one operation) and p->bounce (peer); qp[1], connected to
 * it on the same port, answers. The peer's memory never migrates, so the
 * checker reads it through the mapping as the peer's own copy.
 */
struct pin_rdma {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	struct ibv_mr *peer;
	struct ibv_mr *mr;
	uint64_t wr_id;
};

/* The device --rdma-device names, else the first; NULL with the reason in buf. */
static struct ibv_context *rdma_open(char *buf, size_t len)
{
	struct ibv_context *ctx = NULL;
	struct ibv_device **l;
	int n, i;

	/* ENOSYS: the kernel has no RDMA (no ib_uverbs) at all */
	l = ibv_get_device_list(&n);
	if (!l) {
		snprintf(buf, len, "no RDMA device (ibv_get_device_list: %s); %s", strerror(errno),
			 RDMA_HOWTO);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (!rdma_device || !strcmp(ibv_get_device_name(l[i]), rdma_device))
			break;
	if (i < n) {
		ctx = ibv_open_device(l[i]);
		if (!ctx)
			snprintf(buf, len, "ibv_open_device %s: %s", ibv_get_device_name(l[i]),
				 strerror(errno));
	} else if (rdma_device) {
		snprintf(buf, len, "no RDMA device named %s (--rdma-device; see rdma link)", rdma_device);
	} else {
		snprintf(buf, len, "no RDMA device; %s", RDMA_HOWTO);
	}
	ibv_free_device_list(l);
	return ctx;
}

/* On-demand paging of RC RDMA WRITE and READ, as the device reports it. */
static bool rdma_has_odp(struct ibv_context *ctx)
{
	struct ibv_device_attr_ex a;
	uint32_t need = IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ;

	memset(&a, 0, sizeof(a));
	return !ibv_query_device_ex(ctx, NULL, &a) &&
	       (a.odp_caps.general_caps & IBV_ODP_SUPPORT) &&
	       (a.odp_caps.per_transport_caps.rc_odp_caps & need) == need;
}

static const char *rdma_unavailable(const struct pin_conf *c, char *buf, size_t len,
				    bool odp)
{
	struct ibv_context *ctx = rdma_open(buf, len);
	struct ibv_port_attr pa;
	const char *why = NULL;

	if (!ctx)
		return buf;
	if (ibv_query_port(ctx, 1, &pa)) {
		snprintf(buf, len, "ibv_query_port %s: %s", ibv_get_device_name(ctx->device),
			 strerror(errno));
		why = buf;
	} else if (pa.state != IBV_PORT_ACTIVE) {
		snprintf(buf, len, "port 1 of %s is %s, not active", ibv_get_device_name(ctx->device),
			 ibv_port_state_str(pa.state));
		why = buf;
	} else if (odp && !rdma_has_odp(ctx)) {
		snprintf(buf, len, "%s offers no on-demand paging for RC RDMA WRITE and READ (rdma_rxe has none in Debian's 6.1 and 6.12 kernels; its 7.2 has, with a bug: kernels/known-issues/rxe-odp-copy-ignores-page-offset.txt)",
			 ibv_get_device_name(ctx->device));
		why = buf;
	}
	ibv_close_device(ctx);
	return why;
}

static const char *rdma_pin_unavailable(const struct pin_conf *c, char *buf, size_t len)
{
	return rdma_unavailable(c, buf, len, false);
}

static const char *rdma_odp_unavailable(const struct pin_conf *c, char *buf, size_t len)
{
	return rdma_unavailable(c, buf, len, true);
}

/* The first GID in use: RoCE addresses queue pairs by GID, InfiniBand by LID alone (-1). */
static int rdma_gid(struct pin_rdma *r, const struct ibv_port_attr *pa, union ibv_gid *gid)
{
	if (pa->link_layer != IBV_LINK_LAYER_ETHERNET)
		return -1;
	for (int i = 0; i < pa->gid_tbl_len; i++)
		if (!ibv_query_gid(r->ctx, 1, i, gid) &&
		    (gid->global.subnet_prefix || gid->global.interface_id))
			return i;
	return -2;
}

/* INIT, RTR with the other queue pair as destination, RTS. */
static int rdma_qp_up(struct pin_inst *p, struct ibv_qp *qp, uint32_t dest,
		      const struct ibv_port_attr *pa, int gidx, const union ibv_gid *gid)
{
	struct ibv_qp_attr init = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR, .path_mtu = pa->active_mtu, .dest_qp_num = dest,
		.max_dest_rd_atomic = 1, .min_rnr_timer = 12,
		.ah_attr = { .dlid = pa->lid, .port_num = 1, .is_global = gidx >= 0,
			     .grh = { .dgid = *gid, .sgid_index = MAX(gidx, 0), .hop_limit = 1 } },
	};
	/* timeout 18: about a second before a retry, for the emulated machine */
	struct ibv_qp_attr rts = {
		.qp_state = IBV_QPS_RTS, .timeout = 18, .retry_cnt = 7, .rnr_retry = 7,
		.max_rd_atomic = 1,
	};
	int ret;

	ret = ibv_modify_qp(qp, &init, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			    IBV_QP_ACCESS_FLAGS);
	if (!ret)
		ret = ibv_modify_qp(qp, &rtr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (!ret)
		ret = ibv_modify_qp(qp, &rts, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				    IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	return ret ? pin_error(p, -ret, "ibv_modify_qp") : 0;
}

static int rdma_connect(struct pin_inst *p, struct pin_rdma *r)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 2, .max_recv_wr = 1, .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_port_attr pa;
	union ibv_gid gid = { 0 };
	int gidx, ret = 0;

	if (ibv_query_port(r->ctx, 1, &pa))
		return pin_error(p, -errno, "ibv_query_port");
	gidx = rdma_gid(r, &pa, &gid);
	if (gidx == -2)
		return pin_error(p, -EADDRNOTAVAIL, "no GID on port 1 (an address on the netdev?)");
	qa.send_cq = qa.recv_cq = r->cq;
	for (int i = 0; i < 2; i++) {
		r->qp[i] = ibv_create_qp(r->pd, &qa);
		if (!r->qp[i])
			return pin_error(p, -errno, "ibv_create_qp");
	}
	for (int i = 0; i < 2 && !ret; i++)
		ret = rdma_qp_up(p, r->qp[i], r->qp[!i]->qp_num, &pa, gidx, &gid);
	return ret;
}

static int rdma_setup(struct pin_inst *p)
{
	struct pin_rdma *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return pin_error(p, -ENOMEM, "setup");
	p->priv = r;
	ret = pin_bounce_alloc(p, false);
	if (ret)
		return ret;
	r->ctx = rdma_open(p->err, sizeof(p->err));
	if (!r->ctx)
		return -ENODEV;
	r->pd = ibv_alloc_pd(r->ctx);
	if (!r->pd)
		return pin_error(p, -errno, "ibv_alloc_pd");
	r->ch = ibv_create_comp_channel(r->ctx);
	if (!r->ch)
		return pin_error(p, -errno, "ibv_create_comp_channel");
	r->cq = ibv_create_cq(r->ctx, 4, NULL, r->ch, 0);
	if (!r->cq)
		return pin_error(p, -errno, "ibv_create_cq");
	r->peer = ibv_reg_mr(r->pd, p->bounce, p->len_max, IBV_ACCESS_LOCAL_WRITE |
			     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!r->peer)
		return pin_error(p, -errno, "ibv_reg_mr (peer)");
	return rdma_connect(p, r);
}

/* Also after a setup that failed part way. */
static void rdma_teardown(struct pin_inst *p)
{
	struct pin_rdma *r = p->priv;

	if (!r)
		return;
	if (r->mr)
		ibv_dereg_mr(r->mr);
	for (int i = 0; i < 2; i++)
		if (r->qp[i])
			ibv_destroy_qp(r->qp[i]);
	if (r->peer)
		ibv_dereg_mr(r->peer);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->ch)
		ibv_destroy_comp_channel(r->ch);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->ctx)
		ibv_close_device(r->ctx);
	free(r);
	p->priv = NULL;
}

/* 1 with a completion in wc, 0 without, or an error. */
static int rdma_poll(struct pin_inst *p, struct pin_rdma *r, struct ibv_wc *wc)
{
	int n = ibv_poll_cq(r->cq, 1, wc);

	return n < 0 ? pin_error(p, -EIO, "ibv_poll_cq") : n;
}

/* Sleeps until the CQ may hold a completion: armed, then polled again, so none is slept through. */
static int rdma_sleep(struct pin_inst *p, struct pin_rdma *r, struct ibv_wc *wc)
{
	struct pollfd pfd = { .fd = r->ch->fd, .events = POLLIN };
	struct ibv_cq *cq;
	void *cq_ctx;
	int n;

	if (ibv_req_notify_cq(r->cq, 0))
		return pin_error(p, -EIO, "ibv_req_notify_cq");
	n = rdma_poll(p, r, wc);
	if (n)
		return n;
	n = poll(&pfd, 1, RDMA_WAIT_MS);
	if (n <= 0)
		return pin_error(p, n ? -errno : -ETIMEDOUT, "waiting for a completion");
	if (ibv_get_cq_event(r->ch, &cq, &cq_ctx))
		return pin_error(p, -EIO, "ibv_get_cq_event");
	ibv_ack_cq_events(cq, 1);
	return 0;
}

/* One work request between the memory (through mr) and the peer, waited for. */
static int rdma_post(struct pin_inst *p, enum ibv_wr_opcode op, char *addr, size_t len,
		     const char *what)
{
	struct pin_rdma *r = p->priv;
	struct ibv_sge sge = { (uintptr_t)addr, len, r->mr->lkey };
	struct ibv_send_wr *bad, wr = {
		.wr_id = ++r->wr_id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { (uintptr_t)p->bounce, r->peer->rkey },
	};
	uint64_t t0 = now_ns();
	struct ibv_wc wc;
	int n = ibv_post_send(r->qp[0], &wr, &bad);

	if (n)
		return pin_error(p, -n, what);
	do
		n = rdma_poll(p, r, &wc) ?: rdma_sleep(p, r, &wc);
	while (!n);
	if (n < 0)
		return n;
	pin_lat_kind(p, RDMA_LAT_WR, t0);
	if (wc.status == IBV_WC_SUCCESS && wc.wr_id == wr.wr_id)
		return 0;
	snprintf(p->err, sizeof(p->err), "%s: %s (work request %llu of %llu)", what,
		 ibv_wc_status_str(wc.status), (unsigned long long)wc.wr_id,
		 (unsigned long long)wr.wr_id);
	return -EIO;
}

/* A long-term pin (ib_umem_get: pin_user_pages_fast with FOLL_LONGTERM), or with ODP none. */
static int rdma_pin(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_rdma *r = p->priv;
	int access = IBV_ACCESS_LOCAL_WRITE;
	uint64_t t0;

	if (p->ops == &pin_rdma_odp)
		access |= IBV_ACCESS_ON_DEMAND;
	t0 = now_ns();
	r->mr = ibv_reg_mr(r->pd, addr, len, access);
	pin_lat_kind(p, RDMA_LAT_REG, t0);
	return r->mr ? 0 : pin_error(p, -errno, "ibv_reg_mr");
}

static int rdma_unpin(struct pin_inst *p)
{
	struct pin_rdma *r = p->priv;
	uint64_t t0 = now_ns();
	int ret = ibv_dereg_mr(r->mr);

	pin_lat_kind(p, RDMA_LAT_DEREG, t0);
	r->mr = NULL;
	return ret ? pin_error(p, -ret, "ibv_dereg_mr") : 0;
}

/* The device reads the memory through the registration and writes the peer. */
static int rdma_out(struct pin_inst *p, char *addr, size_t len)
{
	return rdma_post(p, IBV_WR_RDMA_WRITE, addr, len, "RDMA WRITE");
}

/* The device reads the peer and writes the memory through the registration. */
static int rdma_in(struct pin_inst *p, char *addr, size_t len)
{
	return rdma_post(p, IBV_WR_RDMA_READ, addr, len, "RDMA READ");
}

#define RDMA_OPS							\
	.setup = rdma_setup, .pin = rdma_pin, .out = rdma_out, .in = rdma_in,	\
	.unpin = rdma_unpin, .teardown = rdma_teardown
#else
static const char *rdma_pin_unavailable(const struct pin_conf *c, char *buf, size_t len)
{
	return WHY_NO_LIBIBVERBS;
}

#define rdma_odp_unavailable	rdma_pin_unavailable
#define RDMA_OPS		.setup = NULL
#endif /* HAVE_LIBIBVERBS */

const struct pin_ops pin_rdma = {
	.name = "rdma",
	.desc = "RDMA memory registration (ibv_reg_mr: long-term pin, FOLL_LONGTERM) with RDMA WRITE/READ through it on a loopback RC queue pair",
	.options = rdma_opts,
	.lat_names = rdma_lat_names,
	.holds_pin = true,
	.long_term = true,
	.unavailable = rdma_pin_unavailable,
	RDMA_OPS,
};

/* Its options are the rdma row's. */
const struct pin_ops pin_rdma_odp = {
	.name = "rdma-odp",
	.desc = "RDMA memory registration with on-demand paging (IBV_ACCESS_ON_DEMAND: no pin, the device faults pages in and mmu notifiers invalidate them), RDMA WRITE/READ as rdma",
	.lat_names = rdma_lat_names,
	.holds_pin = true,
	.long_term = true,
	.unavailable = rdma_odp_unavailable,
	RDMA_OPS,
};
