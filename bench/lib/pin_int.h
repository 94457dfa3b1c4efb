/* pin_int.h - what pin.c shares with the backends kept in files of their own (pin_rdma.c). */
#ifndef MIGRACE_PIN_INT_H
#define MIGRACE_PIN_INT_H

#include "pin.h"

void pin_lat_kind(struct pin_inst *p, int kind, uint64_t t0);
int pin_bounce_alloc(struct pin_inst *p, bool shared);

extern const struct pin_ops pin_rdma, pin_rdma_odp;

#endif
