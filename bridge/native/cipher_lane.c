/* The soft datapath's native lane: plain AES cipher requests of a session (the data requests a
 * Linux guest's skcipher sends), answered in C from the available ring to the used ring.
 *
 * Why: the soft backend's CPU per request is the Python request path (bridge/README.md,
 * "Where the backend's CPU goes"); a whole request in Python costs more than issue #17 allows.
 *
 * Contract (bridge/native_lane.py is its only caller, from VirtioCryptoDevice._drain):
 * - lane_drain() takes chains while each one is a well-formed plain cipher request that the
 *   Python path would answer OK: it walks the chain by virtqueue.py's rules, parses it by
 *   device.py's, checks it by datapath.check_request's, computes it with OpenSSL, writes the
 *   result and the OK status, and pushes the used element (length: the whole writable size,
 *   as QEMU).
 * - It stops, touching nothing of that chain, at the first chain that is anything else
 *   (malformed, another request kind, an unknown session, a stateless request, any rule
 *   broken): the Python path takes it next and gives it its status. So every status other than
 *   OK, and every guest-visible decision about a bad chain, stays in one place (device.py).
 * - It stops when the kick's budget is spent, or when the ring is empty; then, as pop() does,
 *   it asks the driver for its next kick (virtqueue.py: EVENT_IDX's avail_event, or the used
 *   flags), makes that store visible (a full fence) and reads the ring once more, so a chain
 *   added meanwhile is taken now (`emptied` says it ended so).
 * - Every guest address is checked to lie wholly inside one region; every descriptor and header
 *   is copied once before it is used (the guest may change its memory at any time).
 * - Virtio numbers and offsets come from Python (struct lane_params), not from this file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define MAX_REGIONS 32
#define MAX_SEGS 256              /* segments per direction a chain may have to be taken here */
#define MAX_FIXED 64

struct lane_region { uint64_t gpa, size; uint8_t *host; };

struct lane_params {              /* filled once from bridge/virtio_crypto.py and virtqueue.py */
    uint32_t desc_f_next, desc_f_write, desc_f_indirect, used_f_no_notify;
    uint32_t max_chain_descs;
    uint64_t max_chain_bytes;
    uint32_t op_encrypt, op_decrypt, flag_session_mode, sym_op_cipher, status_ok;
    uint32_t hdr_len, fixed_len, op_type_off;     /* op_type_off: inside the fixed part */
};

struct lane_device {              /* the device's state the rules read; synced by the caller */
    uint32_t revision_1, cipher_offered;
    uint64_t max_size;
    uint32_t nregions;
    struct lane_region regions[MAX_REGIONS];
};

struct lane_queue {               /* a DeviceVirtqueue's state; synced by the caller around a call */
    uint64_t desc, avail, used;   /* guest-physical addresses */
    uint32_t size, event_idx;
    uint32_t last_avail, used_idx, kicks_wanted, high_water;
    const uint8_t *held;          /* held[head] != 0: popped by Python, not yet pushed */
    uint32_t emptied;             /* out: the drain ended on an empty ring, the next kick asked for */
    uint64_t last_sid;            /* out: the session of the last request answered */
};

struct lane_budget { int64_t chains, descs, bytes; };

/* An audit trail of the lane's guest-memory writes, in order (tests/hostile.py checks every
 * write the device makes); off unless the caller gives one. Writes of up to 8 bytes carry
 * their value (used-ring fields), longer ones only their place. */
struct lane_write { uint64_t gpa; uint32_t len; uint8_t value[8]; };
struct lane_trace { struct lane_write *w; uint32_t cap, n; };

enum { MODE_ECB, MODE_CBC, MODE_CTR, MODE_XTS };

struct lane_session {
    EVP_CIPHER_CTX *ctx;          /* the key schedule; freed (and cleansed by OpenSSL) on remove */
    uint32_t mode, encrypt;
};

struct seg { uint8_t *p; uint32_t len; uint64_t gpa; };

struct chain {            /* one walked chain: its segments in guest and host terms */
    struct seg r[MAX_SEGS], w[MAX_SEGS];
    uint32_t nr, nw, descs;
    uint64_t total_r, total_w;
};

struct lane {
    struct lane_params p;
    uint32_t nsessions;
    struct lane_session *sessions;
    uint8_t *scratch;             /* the source, then in place the result; at most max_size */
    size_t scratch_len;
    struct chain chain;           /* the chain being taken (too big for the stack) */
};

struct lane *lane_new(const struct lane_params *p, uint32_t nsessions)
{
    struct lane *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->p = *p;
    l->nsessions = nsessions;
    l->sessions = calloc(nsessions, sizeof *l->sessions);
    if (!l->sessions) {
        free(l);
        return NULL;
    }
    return l;
}

void lane_session_remove(struct lane *l, uint64_t sid)
{
    if (sid < l->nsessions && l->sessions[sid].ctx) {
        EVP_CIPHER_CTX_free(l->sessions[sid].ctx);
        l->sessions[sid].ctx = NULL;
    }
}

/* 0: the session is served here; -1: it is not (the Python path serves it). */
int lane_session_add(struct lane *l, uint64_t sid, uint32_t mode, uint32_t encrypt, const uint8_t *key,
                     uint32_t key_len)
{
    const EVP_CIPHER *c = NULL;
    if (sid >= l->nsessions)
        return -1;
    lane_session_remove(l, sid);
    switch (mode) {
    case MODE_ECB: c = key_len == 16 ? EVP_aes_128_ecb() : key_len == 24 ? EVP_aes_192_ecb()
                     : key_len == 32 ? EVP_aes_256_ecb() : NULL; break;
    case MODE_CBC: c = key_len == 16 ? EVP_aes_128_cbc() : key_len == 24 ? EVP_aes_192_cbc()
                     : key_len == 32 ? EVP_aes_256_cbc() : NULL; break;
    case MODE_CTR: c = key_len == 16 ? EVP_aes_128_ctr() : key_len == 24 ? EVP_aes_192_ctr()
                     : key_len == 32 ? EVP_aes_256_ctr() : NULL; break;
    case MODE_XTS: c = key_len == 32 ? EVP_aes_128_xts() : key_len == 64 ? EVP_aes_256_xts() : NULL; break;
    }
    if (!c)
        return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return -1;
    if (EVP_CipherInit_ex(ctx, c, NULL, key, NULL, encrypt ? 1 : 0) != 1
        || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return -1;
    }
    l->sessions[sid] = (struct lane_session){ctx, mode, encrypt ? 1u : 0u};
    return 0;
}

void lane_free(struct lane *l)
{
    if (!l)
        return;
    for (uint64_t i = 0; i < l->nsessions; i++)
        lane_session_remove(l, i);
    free(l->sessions);
    if (l->scratch)
        OPENSSL_clear_free(l->scratch, l->scratch_len);       /* it held plaintext */
    free(l);
}

/* Host address of [gpa, +n) if it lies wholly inside one region (guest_memory.py's rule). */
static uint8_t *host(const struct lane_device *d, uint64_t gpa, uint64_t n)
{
    for (uint32_t i = 0; i < d->nregions; i++) {
        const struct lane_region *r = &d->regions[i];
        if (gpa >= r->gpa && n <= r->size && gpa - r->gpa <= r->size - n)
            return r->host + (gpa - r->gpa);
    }
    return NULL;
}

static uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* virtqueue.py DeviceVirtqueue._walk's rules; 0 when the chain keeps all of them. */
static int walk(const struct lane *l, const struct lane_device *d, const struct lane_queue *q,
                const uint8_t *table, uint32_t head, struct chain *c)
{
    const struct lane_params *p = &l->p;
    uint32_t limit = q->size, idx = head, seen = 0, descs = 0;
    uint32_t max_descs = q->size > p->max_chain_descs ? q->size : p->max_chain_descs;
    const uint8_t *indirect = NULL;
    if (head >= q->size)
        return -1;
    c->nr = c->nw = 0;
    c->total_r = c->total_w = 0;
    for (;;) {
        uint8_t raw[16];
        seen++;
        descs++;
        if (seen > limit || descs > max_descs)
            return -1;
        memcpy(raw, (indirect ? indirect : table) + 16 * (size_t)idx, 16);     /* read once */
        uint64_t addr = ld64(raw);
        uint32_t len = ld32(raw + 8);
        uint16_t flags = ld16(raw + 12), next = ld16(raw + 14);
        if (flags & p->desc_f_indirect) {
            if (indirect || (flags & p->desc_f_next) || len == 0 || len % 16 || len / 16 > max_descs)
                return -1;
            indirect = host(d, addr, len);
            if (!indirect)
                return -1;
            limit = len / 16;
            idx = 0;
            seen = 0;
            continue;
        }
        uint8_t *h = host(d, addr, len);
        if (!h)
            return -1;
        if (flags & p->desc_f_write) {
            if (c->nw == MAX_SEGS)
                return -1;
            c->w[c->nw++] = (struct seg){h, len, addr};
            c->total_w += len;
        } else {
            if (c->nw || c->nr == MAX_SEGS)
                return -1;
            c->r[c->nr++] = (struct seg){h, len, addr};
            c->total_r += len;
        }
        if (c->total_r + c->total_w > p->max_chain_bytes)
            return -1;
        if (!(flags & p->desc_f_next)) {
            c->descs = descs;
            return 0;
        }
        if (next >= limit)
            return -1;
        idx = next;
    }
}

/* The readable part as one stream (ChainReader): copy n bytes (out NULL: skip them). */
struct reader { const struct chain *c; uint32_t seg, off; };

static int rd(struct reader *r, uint8_t *out, uint64_t n)
{
    while (n) {
        if (r->seg >= r->c->nr)
            return -1;
        const struct seg *s = &r->c->r[r->seg];
        uint64_t take = s->len - r->off;
        if (take > n)
            take = n;
        if (out) {
            memcpy(out, s->p + r->off, take);
            out += take;
        }
        n -= take;
        r->off += (uint32_t)take;
        if (r->off == s->len) {
            r->seg++;
            r->off = 0;
        }
    }
    return 0;
}

static int grow(struct lane *l, size_t n)
{
    if (n <= l->scratch_len)
        return 0;
    uint8_t *b = malloc(n);
    if (!b)
        return -1;
    if (l->scratch)
        OPENSSL_clear_free(l->scratch, l->scratch_len);
    l->scratch = b;
    l->scratch_len = n;
    return 0;
}

static void traced(struct lane_trace *t, uint64_t gpa, const void *value, uint32_t len)
{
    if (!t)
        return;
    struct lane_write *w = &t->w[t->n++];         /* room checked before the chain is taken */
    w->gpa = gpa;
    w->len = len;
    memset(w->value, 0, sizeof w->value);
    if (len <= sizeof w->value)
        memcpy(w->value, value, len);
}

/* One chain at `head`, taken if it is a plain cipher request the Python path would answer OK:
 * 0 when answered (result, status and used element written), -1 when left to the Python path. */
static int serve(struct lane *l, const struct lane_device *d, struct lane_queue *q, uint8_t *used_ring,
                 const struct chain *c, uint32_t head, struct lane_trace *t)
{
    const struct lane_params *p = &l->p;
    uint8_t hdr[32], fixed[MAX_FIXED], iv[16];
    struct reader r = {c, 0, 0};
    if (!c->nr || !c->nw || c->w[c->nw - 1].len < 1 || c->total_w > UINT32_MAX)
        return -1;
    if (p->hdr_len > sizeof hdr || p->fixed_len > sizeof fixed || rd(&r, hdr, p->hdr_len))
        return -1;
    uint32_t opcode = ld32(hdr), flag = ld32(hdr + 16);
    uint64_t sid = ld64(hdr + 8);
    if ((opcode != p->op_encrypt && opcode != p->op_decrypt) || !d->cipher_offered)
        return -1;
    if (d->revision_1 && !(flag & p->flag_session_mode))
        return -1;                                   /* stateless */
    if (rd(&r, fixed, p->fixed_len) || ld32(fixed + p->op_type_off) != p->sym_op_cipher)
        return -1;
    uint64_t iv_len = ld32(fixed), src_len = ld32(fixed + 4), dst_len = ld32(fixed + 8);
    if (src_len != dst_len || iv_len + src_len + dst_len > d->max_size)
        return -1;
    if (sid >= l->nsessions || !l->sessions[sid].ctx)
        return -1;
    const struct lane_session *s = &l->sessions[sid];
    if ((opcode == p->op_encrypt) != (s->encrypt != 0))
        return -1;
    if (s->mode == MODE_ECB) {
        if (rd(&r, NULL, iv_len) || src_len % 16)     /* the IV is ignored, whole blocks */
            return -1;
    } else {
        if (iv_len != 16 || rd(&r, iv, 16))
            return -1;
        if ((s->mode == MODE_CBC && src_len % 16) || (s->mode == MODE_XTS && src_len < 16))
            return -1;
    }
    if (dst_len > c->total_w - 1)
        return -1;                                   /* the writable area cannot hold the result */
    int n1 = 0, n2 = 0;
    if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, s->mode == MODE_ECB ? NULL : iv, -1) != 1) {
        ERR_clear_error();
        return -1;
    }
    while (r.seg < c->nr && r.off == c->r[r.seg].len) {      /* past the segment the IV ended */
        r.seg++;
        r.off = 0;
    }
    if (src_len && r.seg < c->nr && c->r[r.seg].len - r.off >= src_len && c->w[0].len >= dst_len) {
        /* the source in one segment, the result in one (Linux's layout up to a page): straight
         * from one to the other (OpenSSL refuses buffers that partly overlap: Python path) */
        uint8_t *dst = c->w[0].p;
        if (EVP_CipherUpdate(s->ctx, dst, &n1, c->r[r.seg].p + r.off, (int)src_len) != 1
            || EVP_CipherFinal_ex(s->ctx, dst + n1, &n2) != 1 || (uint64_t)(n1 + n2) != src_len) {
            ERR_clear_error();                       /* nothing of it stays on OpenSSL's error queue */
            return -1;
        }
        traced(t, c->w[0].gpa, dst, (uint32_t)dst_len);
    } else {
        /* gathered into the scratch buffer, computed in place, scattered */
        if (grow(l, src_len ? src_len : 1) || rd(&r, l->scratch, src_len))
            return -1;
        if (EVP_CipherUpdate(s->ctx, l->scratch, &n1, l->scratch, (int)src_len) != 1
            || EVP_CipherFinal_ex(s->ctx, l->scratch + n1, &n2) != 1 || (uint64_t)(n1 + n2) != src_len) {
            ERR_clear_error();                       /* (not expected) the Python path answers it */
            return -1;
        }
        uint64_t left = dst_len;
        const uint8_t *out = l->scratch;
        for (uint32_t i = 0; i < c->nw && left; i++) {
            uint64_t take = c->w[i].len < left ? c->w[i].len : left;
            memcpy(c->w[i].p, out, take);
            traced(t, c->w[i].gpa, out, (uint32_t)take);
            out += take;
            left -= take;
        }
    }
    /* the status in the last writable byte */
    const struct seg *last = &c->w[c->nw - 1];
    last->p[last->len - 1] = (uint8_t)p->status_ok;
    traced(t, last->gpa + last->len - 1, &last->p[last->len - 1], 1);
    /* the used element, then the index (virtio 2.7.8.2): a release store orders them */
    uint8_t *elem = used_ring + 4 + 8 * (size_t)(q->used_idx % q->size);
    uint32_t id = head, len = (uint32_t)c->total_w;
    memcpy(elem, &id, 4);
    memcpy(elem + 4, &len, 4);
    traced(t, q->used + 4 + 8 * (uint64_t)(q->used_idx % q->size), elem, 8);
    q->used_idx = (q->used_idx + 1) & 0xFFFF;
    q->last_sid = sid;
    uint16_t idx = (uint16_t)q->used_idx;
    __atomic_store_n((uint16_t *)(used_ring + 2), idx, __ATOMIC_RELEASE);
    traced(t, q->used + 2, &idx, 2);
    return 0;
}

/* Take chains from the queue while each is served here; returns how many were answered. */
int64_t lane_drain(struct lane *l, const struct lane_device *d, struct lane_queue *q, struct lane_budget *b,
                   struct lane_trace *t)
{
    const struct lane_params *p = &l->p;
    uint8_t *table = host(d, q->desc, 16 * (uint64_t)q->size);
    uint8_t *avail = host(d, q->avail, 6 + 2 * (uint64_t)q->size);
    uint8_t *used = host(d, q->used, 6 + 8 * (uint64_t)q->size);
    struct chain *c = &l->chain;
    int64_t n = 0;
    q->emptied = 0;
    if (!table || !avail || !used || !q->size)
        return 0;
    while (b->chains > 0 && b->descs > 0 && b->bytes > 0) {
        if (t && t->cap - t->n < MAX_SEGS + 8)
            break;                                   /* the trail is full: the caller goes on */
        uint16_t avail_idx = __atomic_load_n((uint16_t *)(avail + 2), __ATOMIC_ACQUIRE);
        if (avail_idx == q->last_avail) {            /* as pop() and _want_kicks() */
            if (!n)
                break;                               /* nothing taken: pop() does it all */
            if (q->event_idx) {
                uint16_t e = (uint16_t)q->last_avail;
                memcpy(used + 4 + 8 * (size_t)q->size, &e, 2);
                traced(t, q->used + 4 + 8 * (uint64_t)q->size, &e, 2);
            } else {
                uint16_t f = 0;
                memcpy(used, &f, 2);
                traced(t, q->used, &f, 2);
            }
            q->kicks_wanted = 1;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            avail_idx = __atomic_load_n((uint16_t *)(avail + 2), __ATOMIC_ACQUIRE);
            if (avail_idx == q->last_avail) {
                q->emptied = 1;
                break;
            }
        }
        if (q->kicks_wanted) {                       /* as pop(): draining, no kicks wanted */
            q->kicks_wanted = 0;
            if (!q->event_idx) {
                uint16_t f = (uint16_t)p->used_f_no_notify;
                memcpy(used, &f, 2);
                traced(t, q->used, &f, 2);
            }
        }
        uint32_t ahead = (uint16_t)(avail_idx - q->last_avail);
        if (ahead > q->size)
            break;                                   /* a corrupt ring: pop() says so */
        uint32_t outstanding = (uint16_t)(avail_idx - q->used_idx);
        if (outstanding > q->high_water)
            q->high_water = outstanding;
        uint16_t head = ld16(avail + 4 + 2 * (size_t)(q->last_avail % q->size));
        if (head < q->size && q->held[head])
            break;
        if (walk(l, d, q, table, head, c) || serve(l, d, q, used, c, head, t))
            break;
        q->last_avail = (q->last_avail + 1) & 0xFFFF;
        b->chains -= 1;
        b->descs -= c->descs;
        uint64_t bytes = c->total_r + c->total_w;
        b->bytes -= (int64_t)(bytes < d->max_size ? bytes : d->max_size);
        n++;
    }
    return n;
}
